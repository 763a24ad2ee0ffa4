package bus

import (
	"crypto/sha256"
	"errors"
	"fmt"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/jitgate/jitgate/schemas"
)

// maxReason bounds the reason a dead letter keeps.
const maxReason = 4 << 10

// DeadLetterID is the event id of the dead letter group writes for the
// record at topic/partition/offset (full topic name): a name-based UUID, so
// every replica and every retry writes the same one.
func DeadLetterID(group, topic string, partition int32, offset int64) string {
	return nameUUID(fmt.Sprintf("jitgate/deadletter/%s/%s/%d/%d", group, topic, partition, offset))
}

// deadLetter builds the dead letter for r, which group gave up on after
// attempts tries because of cause. See schemas.DeadLetter for what it
// keeps and withholds.
func (cfg Config) deadLetter(group, producer string, r *kgo.Record, kind string, cause error, attempts int, now time.Time) (*kgo.Record, *schemas.DeadLetter, error) {
	reason := cause.Error()
	if len(reason) > maxReason {
		reason = reason[:maxReason]
	}
	dl := &schemas.DeadLetter{
		Stage: group, Kind: kind, Reason: reason, Attempts: attempts,
		Topic: r.Topic, Partition: r.Partition, Offset: r.Offset, RecordTime: r.Timestamp.UTC(),
		Key: r.Key, Headers: recordHeaders(r), Value: r.Value, ValueSize: len(r.Value),
	}
	if env, err := schemas.Unmarshal(r.Value); err == nil {
		dl.EventID, dl.Type = env.ID, env.Type
	}
	if cfg.Suffix(r.Topic) == schemas.TopicExecutions {
		dl.Value, dl.ValueWithheld = nil, "the executions topic carries unmasked responses; redrive reads the value from its source"
	}
	requestID := header(r, schemas.HeaderRequestID)
	out := Output{Topic: schemas.TopicDeadLetters, Key: requestID}
	if out.Key == "" {
		out.Key = fmt.Sprintf("%s/%d/%d", r.Topic, r.Partition, r.Offset)
	}
	build := func() (*kgo.Record, error) {
		env, err := schemas.NewEnvelope(DeadLetterID(group, r.Topic, r.Partition, r.Offset), requestID, producer, now, dl)
		if err != nil {
			return nil, err
		}
		out.Envelope = env
		return cfg.record(out)
	}
	rec, err := build()
	var tl *TooLargeError
	if errors.As(err, &tl) && dl.Value != nil {
		dl.Value, dl.ValueWithheld = nil, "too large for a dead letter; redrive reads the value from its source"
		rec, err = build()
	}
	if err != nil {
		return nil, nil, fmt.Errorf("bus: dead letter for %s/%d@%d: %w", r.Topic, r.Partition, r.Offset, err)
	}
	return rec, dl, nil
}

// poison reports an error no retry can fix: the record is dead-lettered at
// once.
func poison(err error) bool {
	var tl *TooLargeError
	return undecodable(err) || errors.Is(err, ErrPoison) || errors.As(err, &tl)
}

// undecodable reports an error decoding a record or its payload.
func undecodable(err error) bool {
	var (
		dec *DecodeError
		ut  *schemas.UnknownTypeError
		uv  *schemas.UnsupportedVersionError
	)
	return errors.Is(err, schemas.ErrMalformed) || errors.Is(err, schemas.ErrWrongType) ||
		errors.As(err, &dec) || errors.As(err, &ut) || errors.As(err, &uv)
}

// deadLetterKind classifies the cause of a dead letter.
func deadLetterKind(err error) string {
	var p *PanicError
	switch {
	case errors.As(err, &p):
		return schemas.DeadLetterPanic
	case undecodable(err):
		return schemas.DeadLetterUndecodable
	default:
		return schemas.DeadLetterFailed
	}
}

// nameUUID is a name-based UUID (SHA-256, version 5 layout) of s.
func nameUUID(s string) string {
	b := sha256.Sum256([]byte(s))
	b[6] = b[6]&0x0f | 0x50
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}
