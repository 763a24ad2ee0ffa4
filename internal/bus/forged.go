package bus

import (
	"context"
	"crypto/sha256"
	"fmt"
	"log/slog"
	"time"

	"github.com/jitgate/jitgate/schemas"
)

// EventRefusal builds the security.refused event for a Kafka event a stage
// refused (kind schemas.SecurityForgedEvent or SecurityReplayedEvent):
// it names the refused event's id, type, producer and record. Its event
// id is derived from the stage and the record, so every replica tailing
// the same topic, and every replay after a restart, writes the same
// refusal and the recorder keeps it once. stage is the refusing role
// ("decider", "ingress", "executor"); producer names the replica.
func EventRefusal(stage, producer, kind, reason string, m Message, at time.Time) (Output, error) {
	env := m.Envelope
	out, err := Refusal(producer, env.RequestID, at, &schemas.SecurityRefused{
		Stage: stage, Kind: kind, Reason: reason,
		EventID: env.ID, RefusedType: env.Type, Producer: env.Producer,
		Topic: m.Topic, Partition: m.Partition, Offset: m.Offset,
	})
	if err != nil {
		return Output{}, err
	}
	id := refusalID(stage, kind, m)
	if out.Key == out.Envelope.ID {
		out.Key = id
	}
	out.Envelope.ID = id
	return out, nil
}

// EventPublisher is what ReportRefusedEvent needs: *Publisher is one.
type EventPublisher interface {
	Publish(ctx context.Context, outs ...Output) error
}

// ReportRefusedEvent logs, once, a consumed event refused as a possible
// attack and records it as a security.refused event (see EventRefusal),
// for the stages that refuse events outside a transaction (their views of
// the holds log). A failure to record is logged, not returned: the event
// stays refused either way.
func ReportRefusedEvent(ctx context.Context, pub EventPublisher, log *slog.Logger, stage, producer, kind string, cause error, m Message, at time.Time) {
	env := m.Envelope
	log.Warn("security: refused an event; it does not count", "kind", kind, "type", env.Type, "event_id", env.ID,
		"request_id", env.RequestID, "producer", env.Producer, "topic", m.Topic, "partition", m.Partition, "offset", m.Offset, "err", cause)
	out, err := EventRefusal(stage, producer, kind, cause.Error(), m, at)
	if err == nil {
		pctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		err = pub.Publish(pctx, out)
		cancel()
	}
	if err != nil {
		log.Error("could not record a refused event", "event_id", env.ID, "err", err)
	}
}

// refusalID is a name-based UUID of the refusing stage and the record.
func refusalID(stage, kind string, m Message) string {
	b := sha256.Sum256(fmt.Appendf(nil, "jitgate/security/%s/%s/%s/%d/%d/%s", stage, kind, m.Topic, m.Partition, m.Offset, m.Envelope.ID))
	b[6] = b[6]&0x0f | 0x50
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}
