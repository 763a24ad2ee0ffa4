package schemas

import "time"

// DeadLetter records a Kafka record a stage gave up on: it could not be
// decoded, or its handler failed (or panicked) on every try. The stage
// publishes it to TopicDeadLetters in the same transaction that commits
// the record's offset, so its partition moves on and the record is kept
// for an operator (`jitgate deadletters list`, `redrive`).
//
// It carries the original record, not a decoded event, because the record
// may not decode at all: key, headers and value as they were, so a redrive
// re-publishes the same bytes. The value is left out (ValueWithheld says
// why) when the record came from TopicExecutions, which carries unmasked
// upstream responses and must not be copied to a topic with a longer
// retention, and when it is too large to fit in a dead letter; a redrive
// then reads it again from its source partition and offset, while the
// source topic still retains it.
//
// Its event id is derived from the consumer group and the record's
// location, so a dead letter written again after a crash or by another
// replica replaces the first one in the recorder.
type DeadLetter struct {
	// Stage is the consumer group that gave up, e.g. "jitgate-masker".
	Stage string `json:"stage"`
	// Kind is DeadLetterUndecodable, DeadLetterFailed or DeadLetterPanic.
	Kind string `json:"kind"`
	// Reason is the last error, for a human.
	Reason string `json:"reason"`
	// Attempts is how many times the handler ran (0 for undecodable).
	Attempts int `json:"attempts"`
	// Topic is the full name of the record's topic (prefix included),
	// Partition and Offset its place in it.
	Topic     string `json:"topic"`
	Partition int32  `json:"partition"`
	Offset    int64  `json:"offset"`
	// RecordTime is the record's timestamp.
	RecordTime time.Time `json:"record_time"`
	// EventID and Type name the event when its envelope decoded.
	EventID string `json:"event_id,omitempty"`
	Type    Type   `json:"event_type,omitempty"`
	// Key, Headers and Value are the original record's.
	Key     []byte         `json:"key,omitempty"`
	Headers []RecordHeader `json:"headers,omitempty"`
	Value   []byte         `json:"value,omitempty"`
	// ValueSize is the original value's length, set also when it is
	// withheld.
	ValueSize int `json:"value_size"`
	// ValueWithheld, when set, says why Value is empty.
	ValueWithheld string `json:"value_withheld,omitempty"`
}

// RecordHeader is one Kafka record header. schemas names and encodes the
// headers (chunk records, dead letters); package bus maps them onto its
// Kafka client's records.
type RecordHeader struct {
	Key   string `json:"key"`
	Value []byte `json:"value,omitempty"`
}

// EventType implements Payload.
func (*DeadLetter) EventType() Type { return TypeDeadLetter }

// DeadLetter kinds.
const (
	// DeadLetterUndecodable: the record is not an event this build reads
	// (malformed, unknown type or version, wrong payload for its type).
	DeadLetterUndecodable = "undecodable"
	// DeadLetterFailed: the handler returned an error on every try.
	DeadLetterFailed = "failed"
	// DeadLetterPanic: the handler panicked on every try.
	DeadLetterPanic = "panic"
)

// HeaderRedriveOf is set on a record re-published by `jitgate deadletters
// redrive`, naming the dead letter it came from.
const HeaderRedriveOf = "jg-redrive-of"
