package bus

import (
	"fmt"
	"strconv"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/jitgate/jitgate/schemas"
)

// Output is an event a stage wants published.
type Output struct {
	// Topic is a topic suffix from package schemas (for example
	// schemas.TopicDecisions).
	Topic string
	// Key defaults to the envelope's request id.
	Key string
	// ReplyTo, when set, is copied into the record's reply-to header so that
	// ingress replicas can skip replies meant for others without decoding.
	// A response chunk's header is its payload's ReplyTo; ReplyTo must be
	// empty or the same.
	ReplyTo  string
	Envelope schemas.Envelope
}

// Message is one consumed event.
type Message struct {
	Topic     string // topic suffix
	Partition int32
	Offset    int64
	Envelope  schemas.Envelope
	// Value is the raw record value (for the recorder and for tools): a
	// JSON envelope, or a body chunk's data (schemas.IsChunk).
	Value []byte
	// Headers are the record's headers.
	Headers []schemas.RecordHeader
}

// Ref locates the message's record.
func (m Message) Ref(cfg Config) schemas.RecordRef {
	return schemas.RecordRef{Topic: cfg.Topic(m.Topic), Partition: m.Partition, Offset: m.Offset}
}

// record builds o's record. Body chunks take the chunk record form (raw
// data, fields in headers; schemas.EncodeChunk), whose value is the
// chunk's data itself: it must not change until the record is written.
func (cfg Config) record(o Output) (*kgo.Record, error) {
	if schemas.IsChunk(o.Envelope.Type) {
		return cfg.chunkRecord(o)
	}
	value, err := o.Envelope.Marshal()
	if err != nil {
		return nil, err
	}
	if len(value) > MaxRecordBytes {
		return nil, &TooLargeError{Type: o.Envelope.Type, Size: len(value)}
	}
	hs := []kgo.RecordHeader{
		{Key: schemas.HeaderType, Value: []byte(o.Envelope.Type)},
		{Key: schemas.HeaderVersion, Value: []byte(strconv.Itoa(o.Envelope.Version))},
		{Key: schemas.HeaderRequestID, Value: []byte(o.Envelope.RequestID)},
	}
	if o.ReplyTo != "" {
		hs = append(hs, kgo.RecordHeader{Key: schemas.HeaderReplyTo, Value: []byte(o.ReplyTo)})
	}
	return &kgo.Record{Topic: cfg.Topic(o.Topic), Key: []byte(o.key()), Value: value, Headers: hs}, nil
}

func (cfg Config) chunkRecord(o Output) (*kgo.Record, error) {
	shs, value, err := schemas.EncodeChunk(o.Envelope)
	if err != nil {
		return nil, err
	}
	size := len(value)
	hs := make([]kgo.RecordHeader, len(shs))
	for i, h := range shs {
		if h.Key == schemas.HeaderReplyTo && o.ReplyTo != "" && string(h.Value) != o.ReplyTo {
			return nil, fmt.Errorf("bus: %s %s: output reply-to %q differs from the chunk's %q", o.Envelope.Type, o.Envelope.RequestID, o.ReplyTo, h.Value)
		}
		hs[i] = kgo.RecordHeader{Key: h.Key, Value: h.Value}
		size += len(h.Key) + len(h.Value)
	}
	if size > MaxRecordBytes {
		return nil, &TooLargeError{Type: o.Envelope.Type, Size: size}
	}
	return &kgo.Record{Topic: cfg.Topic(o.Topic), Key: []byte(o.key()), Value: value, Headers: hs}, nil
}

func (o Output) key() string {
	if o.Key != "" {
		return o.Key
	}
	return o.Envelope.RequestID
}

// header returns the value of a record header, or "".
func header(r *kgo.Record, name string) string {
	for _, h := range r.Headers {
		if h.Key == name {
			return string(h.Value)
		}
	}
	return ""
}

// message decodes r: a body chunk (by its type header) from its chunk
// record form without touching its data, anything else as a JSON
// envelope. A chunk is read only in its record form, so no reader ever
// has two readings of one: a JSON envelope of a chunk type (written by a
// jitgate from before the record form) is a DecodeError.
func (cfg Config) message(r *kgo.Record) (Message, error) {
	m := Message{Topic: cfg.Suffix(r.Topic), Partition: r.Partition, Offset: r.Offset, Value: r.Value, Headers: recordHeaders(r)}
	var (
		env schemas.Envelope
		err error
	)
	if schemas.IsChunk(schemas.Type(header(r, schemas.HeaderType))) {
		env, err = schemas.DecodeChunk(m.Headers, r.Value)
	} else if env, err = schemas.Unmarshal(r.Value); err == nil && schemas.IsChunk(env.Type) {
		err = fmt.Errorf("%w: a %s record must carry its data raw with its fields in jg-* headers (written by an older jitgate?)", schemas.ErrMalformed, env.Type)
	}
	if err != nil {
		return m, &DecodeError{Topic: r.Topic, Partition: r.Partition, Offset: r.Offset, Err: err}
	}
	m.Envelope = env
	return m, nil
}

// recordHeaders maps r's headers onto schemas' plain type, sharing their
// bytes.
func recordHeaders(r *kgo.Record) []schemas.RecordHeader {
	if len(r.Headers) == 0 {
		return nil
	}
	hs := make([]schemas.RecordHeader, len(r.Headers))
	for i, h := range r.Headers {
		hs[i] = schemas.RecordHeader{Key: h.Key, Value: h.Value}
	}
	return hs
}
