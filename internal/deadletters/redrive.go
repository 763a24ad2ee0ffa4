package deadletters

import (
	"context"
	"fmt"

	"github.com/jitgate/jitgate/internal/bus"
	"github.com/jitgate/jitgate/schemas"
)

// Publisher is what Redrive needs; *bus.Publisher is one.
type Publisher interface {
	PublishRaw(ctx context.Context, recs ...bus.RawRecord) error
}

// Record rebuilds the original record of e: from the dead letter, or, when
// its value was withheld, from its source partition and offset. It adds a
// jg-redrive-of header naming the dead letter (replacing an earlier one).
func Record(ctx context.Context, cfg bus.Config, e Entry) (bus.RawRecord, error) {
	rec := bus.RawRecord{Topic: e.Topic, Key: e.Key, Value: e.Value}
	if e.ValueWithheld != "" {
		src, err := bus.ReadRecord(ctx, cfg, e.Topic, e.Partition, e.Offset)
		if err != nil {
			return bus.RawRecord{}, fmt.Errorf("deadletters: %s: value withheld (%s), and the source cannot be read: %w", e.ID, e.ValueWithheld, err)
		}
		rec.Value = src.Value
	}
	for _, h := range e.Headers {
		if h.Key != schemas.HeaderRedriveOf {
			rec.Headers = append(rec.Headers, h)
		}
	}
	rec.Headers = append(rec.Headers, schemas.RecordHeader{Key: schemas.HeaderRedriveOf, Value: []byte(e.ID)})
	return rec, nil
}

// Redrive re-publishes the original record of each entry to its topic.
// It stops at the first failure; the entries before it were redriven.
func Redrive(ctx context.Context, cfg bus.Config, pub Publisher, entries ...Entry) error {
	for _, e := range entries {
		rec, err := Record(ctx, cfg, e)
		if err != nil {
			return err
		}
		if err := pub.PublishRaw(ctx, rec); err != nil {
			return fmt.Errorf("deadletters: redrive %s to %s: %w", e.ID, e.Topic, err)
		}
	}
	return nil
}

// Find returns the entries with the given ids, in that order.
func Find(all []Entry, ids ...string) ([]Entry, error) {
	byID := make(map[string]Entry, len(all))
	for _, e := range all {
		byID[e.ID] = e
	}
	out := make([]Entry, 0, len(ids))
	for _, id := range ids {
		e, ok := byID[id]
		if !ok {
			return nil, fmt.Errorf("%w: %s", ErrNotFound, id)
		}
		out = append(out, e)
	}
	return out, nil
}
