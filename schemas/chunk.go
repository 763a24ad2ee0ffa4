package schemas

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Body chunk events (request.body_chunk, response.body_chunk) do not travel
// as JSON envelopes. Their record value is the chunk's data, raw, and every
// other field, of the envelope and of the payload, travels in a record
// header. A JSON envelope would carry the data as base64 inside JSON: a
// third larger, and encoding or decoding it cost more CPU than anything
// else a large body passes through (every stage that touches a chunk did
// it once per 512 KiB).
//
// The record form of a chunk event, all headers required, each once:
//
//	jg-type        request.body_chunk | response.body_chunk
//	jg-version     1
//	jg-request-id  the request id
//	jg-id          the event id
//	jg-time        the event time, UTC, RFC 3339 with nanoseconds
//	jg-producer    role/instance
//	jg-seq         the chunk's 0-based sequence number, decimal
//	jg-last        "true" | "false"
//	jg-reply-to    (response.body_chunk only) the waiting ingress replica
//	jg-maskable    (response.body_chunk only) "true" | "false"
//	jg-error       (response.body_chunk only) why the body broke off, or ""
//	value          the chunk's data
//
// Decoding is strict, as for JSON envelopes: a missing, repeated, unknown
// (jg-*) or malformed header is ErrMalformed, an unknown type
// UnknownTypeError, another version UnsupportedVersionError. Headers
// without the jg- prefix belong to other tools (tracing) and are ignored.
// Chunks carry no authentication code: a request chunk is bound to its
// sealed request.received by its data's SHA-256 (HTTPRequest.ChunkSHA256),
// and response chunks live on the executor's own short-retention topic.

// Header names of the chunk record form (besides HeaderType,
// HeaderVersion, HeaderRequestID and HeaderReplyTo).
const (
	HeaderID       = "jg-id"
	HeaderTime     = "jg-time"
	HeaderProducer = "jg-producer"
	HeaderSeq      = "jg-seq"
	HeaderLast     = "jg-last"
	HeaderMaskable = "jg-maskable"
	HeaderError    = "jg-error"
)

// IsChunk reports whether events of type t travel in the chunk record form
// (raw data, fields in headers) rather than as JSON envelopes.
func IsChunk(t Type) bool {
	return t == TypeRequestBodyChunk || t == TypeResponseBodyChunk
}

// chunkHeaders lists, per chunk type, the headers its record carries.
var chunkHeaders = map[Type][]string{
	TypeRequestBodyChunk: {HeaderType, HeaderVersion, HeaderRequestID, HeaderID, HeaderTime, HeaderProducer,
		HeaderSeq, HeaderLast},
	TypeResponseBodyChunk: {HeaderType, HeaderVersion, HeaderRequestID, HeaderID, HeaderTime, HeaderProducer,
		HeaderSeq, HeaderLast, HeaderReplyTo, HeaderMaskable, HeaderError},
}

// EncodeChunk returns the record form of a chunk event built by
// NewEnvelope (or returned by DecodeChunk). The value is the chunk's data
// itself, not a copy: the caller must not change it until the record is
// written.
func EncodeChunk(env Envelope) (headers []RecordHeader, value []byte, err error) {
	if !IsChunk(env.Type) {
		return nil, nil, fmt.Errorf("%w: %s is not a body chunk", ErrMalformed, env.Type)
	}
	if env.chunk == nil || env.chunk.EventType() != env.Type {
		return nil, nil, fmt.Errorf("%w: %s envelope %q holds no chunk payload (build it with NewEnvelope)", ErrMalformed, env.Type, env.ID)
	}
	if env.Auth != "" {
		return nil, nil, fmt.Errorf("%w: %s events carry no authentication code", ErrMalformed, env.Type)
	}
	if env.ID == "" {
		return nil, nil, fmt.Errorf("%w: missing id", ErrMalformed)
	}
	hs := make([]RecordHeader, 0, 11)
	add := func(k, v string) { hs = append(hs, RecordHeader{Key: k, Value: []byte(v)}) }
	add(HeaderType, string(env.Type))
	add(HeaderVersion, strconv.Itoa(env.Version))
	add(HeaderRequestID, env.RequestID)
	add(HeaderID, env.ID)
	add(HeaderTime, env.Time.UTC().Format(time.RFC3339Nano))
	add(HeaderProducer, env.Producer)
	switch c := env.chunk.(type) {
	case *RequestBodyChunk:
		if c.Seq < 0 {
			return nil, nil, fmt.Errorf("%w: chunk seq %d", ErrMalformed, c.Seq)
		}
		add(HeaderSeq, strconv.Itoa(c.Seq))
		add(HeaderLast, strconv.FormatBool(c.Last))
		value = c.Data
	case *ResponseBodyChunk:
		if c.Seq < 0 {
			return nil, nil, fmt.Errorf("%w: chunk seq %d", ErrMalformed, c.Seq)
		}
		add(HeaderSeq, strconv.Itoa(c.Seq))
		add(HeaderLast, strconv.FormatBool(c.Last))
		add(HeaderReplyTo, c.ReplyTo)
		add(HeaderMaskable, strconv.FormatBool(c.Maskable))
		add(HeaderError, c.Error)
		value = c.Data
	}
	return hs, value, nil
}

// DecodeChunk reads a record in the chunk record form, strictly, into an
// envelope whose payload (Decode, DecodeAs) is the chunk, its Data being
// value itself (not a copy). The envelope's Payload (JSON) stays empty.
func DecodeChunk(headers []RecordHeader, value []byte) (Envelope, error) {
	got := make(map[string]string, len(headers))
	for _, h := range headers {
		if !strings.HasPrefix(h.Key, "jg-") {
			continue
		}
		if _, dup := got[h.Key]; dup {
			return Envelope{}, fmt.Errorf("%w: header %s appears twice", ErrMalformed, h.Key)
		}
		got[h.Key] = string(h.Value)
	}
	typ := Type(got[HeaderType])
	want, ok := chunkHeaders[typ]
	switch {
	case typ == "":
		return Envelope{}, fmt.Errorf("%w: record without header %s", ErrMalformed, HeaderType)
	case !ok && registry[typ] == nil:
		return Envelope{}, &UnknownTypeError{Type: typ}
	case !ok:
		return Envelope{}, fmt.Errorf("%w: %s is not a body chunk", ErrMalformed, typ)
	}
	for _, k := range want {
		if _, ok := got[k]; !ok {
			return Envelope{}, fmt.Errorf("%w: %s record without header %s", ErrMalformed, typ, k)
		}
	}
	if len(got) != len(want) {
		for k := range got {
			if !slices.Contains(want, k) {
				return Envelope{}, fmt.Errorf("%w: %s record with unknown header %s", ErrMalformed, typ, k)
			}
		}
	}
	env := Envelope{Type: typ, RequestID: got[HeaderRequestID], ID: got[HeaderID], Producer: got[HeaderProducer]}
	v, err := strconv.Atoi(got[HeaderVersion])
	if err != nil {
		return Envelope{}, fmt.Errorf("%w: %s header %q", ErrMalformed, HeaderVersion, got[HeaderVersion])
	}
	env.Version = v
	if err := env.check(); err != nil {
		return Envelope{}, err
	}
	if env.Time, err = time.Parse(time.RFC3339Nano, got[HeaderTime]); err != nil {
		return Envelope{}, fmt.Errorf("%w: %s header: %v", ErrMalformed, HeaderTime, err)
	}
	env.Time = env.Time.UTC()
	seq, err := strconv.Atoi(got[HeaderSeq])
	if err != nil || seq < 0 {
		return Envelope{}, fmt.Errorf("%w: %s header %q", ErrMalformed, HeaderSeq, got[HeaderSeq])
	}
	last, err := parseBool(HeaderLast, got[HeaderLast])
	if err != nil {
		return Envelope{}, err
	}
	if typ == TypeRequestBodyChunk {
		env.chunk = &RequestBodyChunk{Seq: seq, Data: value, Last: last}
		return env, nil
	}
	maskable, err := parseBool(HeaderMaskable, got[HeaderMaskable])
	if err != nil {
		return Envelope{}, err
	}
	env.chunk = &ResponseBodyChunk{ReplyTo: got[HeaderReplyTo], Seq: seq, Data: value, Last: last,
		Maskable: maskable, Error: got[HeaderError]}
	return env, nil
}

// parseBool accepts exactly what EncodeChunk writes.
func parseBool(name, v string) (bool, error) {
	switch v {
	case "true":
		return true, nil
	case "false":
		return false, nil
	}
	return false, fmt.Errorf("%w: %s header %q (want true or false)", ErrMalformed, name, v)
}

// copyChunk returns a shallow copy of a chunk payload (the data is
// shared), so that an envelope never aliases a struct its builder or a
// reader goes on changing.
func copyChunk(p Payload) Payload {
	switch c := p.(type) {
	case *RequestBodyChunk:
		d := *c
		return &d
	case *ResponseBodyChunk:
		d := *c
		return &d
	}
	return p
}
