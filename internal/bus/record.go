package bus

import (
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
	ReplyTo  string
	Envelope schemas.Envelope
}

// Message is one consumed event.
type Message struct {
	Topic     string // topic suffix
	Partition int32
	Offset    int64
	Envelope  schemas.Envelope
	// Value is the raw record value (for the recorder and for tools).
	Value []byte
}

// Ref locates the message's record.
func (m Message) Ref(cfg Config) schemas.RecordRef {
	return schemas.RecordRef{Topic: cfg.Topic(m.Topic), Partition: m.Partition, Offset: m.Offset}
}

func (cfg Config) record(o Output) (*kgo.Record, error) {
	value, err := o.Envelope.Marshal()
	if err != nil {
		return nil, err
	}
	if len(value) > MaxRecordBytes {
		return nil, &TooLargeError{Type: o.Envelope.Type, Size: len(value)}
	}
	key := o.Key
	if key == "" {
		key = o.Envelope.RequestID
	}
	hs := []kgo.RecordHeader{
		{Key: schemas.HeaderType, Value: []byte(o.Envelope.Type)},
		{Key: schemas.HeaderVersion, Value: []byte(strconv.Itoa(o.Envelope.Version))},
		{Key: schemas.HeaderRequestID, Value: []byte(o.Envelope.RequestID)},
	}
	if o.ReplyTo != "" {
		hs = append(hs, kgo.RecordHeader{Key: schemas.HeaderReplyTo, Value: []byte(o.ReplyTo)})
	}
	return &kgo.Record{Topic: cfg.Topic(o.Topic), Key: []byte(key), Value: value, Headers: hs}, nil
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

func (cfg Config) message(r *kgo.Record) (Message, error) {
	m := Message{Topic: cfg.Suffix(r.Topic), Partition: r.Partition, Offset: r.Offset, Value: r.Value}
	env, err := schemas.Unmarshal(r.Value)
	if err != nil {
		return m, &DecodeError{Topic: r.Topic, Partition: r.Partition, Offset: r.Offset, Err: err}
	}
	m.Envelope = env
	return m, nil
}
