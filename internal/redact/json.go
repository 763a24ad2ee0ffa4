package redact

// JSON bodies (awsJson 1.0/1.1, restJson, request bodies): one streaming
// pass over the tokens with jsontext, reading the body in place. Values are
// skipped unless they belong to a matched member; a matched string's byte
// span is recorded and replaced afterwards, so everything else keeps its
// bytes and formatting.

import (
	"bytes"
	"errors"
	"io"
	"strings"

	"github.com/go-json-experiment/json/jsontext"
)

// errTrailingData reports a second top-level value after the first.
var errTrailingData = errors.New("data after the top-level value")

func (r *run) json(body []byte) error {
	dec := jsontext.NewDecoder(bytes.NewBuffer(body), jsontext.AllowDuplicateNames(true))
	var (
		frames    []int // per open container: path length to restore when it closes
		maskDepth int   // decoder depth of the matched container being masked; 0 = none
		pending   bool  // the next value belongs to a matched member
		started   bool
		nameBuf   []byte
	)
	for {
		kind := dec.PeekKind()
		if kind == 0 { // an error or the end of the input, reported by the read
			_, err := dec.ReadToken()
			if errors.Is(err, io.EOF) && started {
				return nil
			}
			return jsonError(dec, err)
		}
		depth := dec.StackDepth()
		if depth == 0 && started {
			return &BodyError{Format: "json", Offset: dec.InputOffset(), Err: errTrailingData}
		}
		started = true
		parent, n := dec.StackIndex(depth)

		if parent == '{' && n%2 == 0 && kind != '}' { // a member name
			v, err := dec.ReadValue()
			if err != nil {
				return jsonError(dec, err)
			}
			name := v[1 : len(v)-1]
			if bytes.IndexByte(name, '\\') >= 0 {
				if nameBuf, err = jsontext.AppendUnquote(nameBuf[:0], v); err != nil {
					return jsonError(dec, err)
				}
				name = nameBuf
			}
			r.path.push(name)
			if maskDepth == 0 && r.matches() {
				pending = true
				r.startMatch()
			}
			continue
		}

		switch kind {
		case '{', '[':
			if _, err := dec.ReadToken(); err != nil {
				return jsonError(dec, err)
			}
			base := len(r.path.segs)
			switch {
			case parent == '{':
				base-- // closing the container also ends its member
				if kind == '[' {
					r.path.markArray()
				}
			case kind == '[':
				r.path.pushArray()
			}
			frames = append(frames, base)
			if pending {
				maskDepth = dec.StackDepth()
				pending = false
			}
		case '}', ']':
			if _, err := dec.ReadToken(); err != nil {
				return jsonError(dec, err)
			}
			if maskDepth > dec.StackDepth() {
				maskDepth = 0
			}
			r.path.truncate(frames[len(frames)-1])
			frames = frames[:len(frames)-1]
		case '"':
			if pending || maskDepth > 0 {
				v, err := dec.ReadValue()
				if err != nil {
					return jsonError(dec, err)
				}
				end := dec.InputOffset()
				r.replace(end-int64(len(v)), end, r.jsonMask())
			} else if err := dec.SkipValue(); err != nil {
				return jsonError(dec, err)
			}
			pending = false
			if parent == '{' {
				r.path.truncate(len(r.path.segs) - 1)
			}
		default: // numbers and literals are never replaced
			if err := dec.SkipValue(); err != nil {
				return jsonError(dec, err)
			}
			pending = false
			if parent == '{' {
				r.path.truncate(len(r.path.segs) - 1)
			}
		}
	}
}

// jsonMask returns the replacement for the string at the current path:
// the quoted mask, except for blob fields (base64 of the mask) and inside
// DynamoDB AttributeValues, whose "N" and "NS" strings must stay numbers
// and "B" and "BS" strings base64.
func (r *run) jsonMask() []byte {
	if r.matchedB64 {
		return r.e.jsonB64
	}
	if !strings.EqualFold(r.service, "dynamodb") && !strings.EqualFold(r.service, "dynamodbstreams") {
		return r.e.jsonMsk
	}
	n := len(r.path.segs)
	if n == 0 {
		return r.e.jsonMsk
	}
	switch string(r.path.name(n - 1)) {
	case "N", "NS":
		return r.e.jsonZero
	case "B", "BS":
		return r.e.jsonB64
	}
	return r.e.jsonMsk
}

// jsonError wraps a decoder error with the offset it names.
func jsonError(dec *jsontext.Decoder, err error) error {
	off := dec.InputOffset()
	var se *jsontext.SyntacticError
	if errors.As(err, &se) {
		off = se.ByteOffset
	}
	if errors.Is(err, io.EOF) {
		err = io.ErrUnexpectedEOF
	}
	return &BodyError{Format: "json", Offset: off, Err: err}
}
