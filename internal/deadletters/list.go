package deadletters

import (
	"context"
	"fmt"
	"log/slog"
	"sort"
	"time"

	"github.com/jitgate/jitgate/internal/bus"
	"github.com/jitgate/jitgate/schemas"
)

// Entry is one dead letter as listed.
type Entry struct {
	// ID is the dead letter's event id, what redrive takes.
	ID string `json:"id"`
	// At is when the stage gave up.
	At        time.Time `json:"at"`
	RequestID string    `json:"request_id,omitempty"`
	Producer  string    `json:"producer"`
	schemas.DeadLetter
}

// List reads the whole deadletters topic and returns each dead letter once
// (the last copy written), oldest first.
func List(ctx context.Context, cfg bus.Config, log *slog.Logger) ([]Entry, error) {
	tail, err := bus.NewTail(ctx, cfg, bus.FromStart, log, schemas.TopicDeadLetters)
	if err != nil {
		return nil, fmt.Errorf("deadletters: %w", err)
	}
	byID := map[string]Entry{}
	tctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = tail.RunTypes(tctx, []schemas.Type{schemas.TypeDeadLetter}, func(m bus.Message) {
			dl, err := schemas.DecodeAs[*schemas.DeadLetter](m.Envelope)
			if err != nil {
				return
			}
			byID[m.Envelope.ID] = Entry{ID: m.Envelope.ID, At: m.Envelope.Time, RequestID: m.Envelope.RequestID, Producer: m.Envelope.Producer, DeadLetter: *dl}
		})
	}()
	select {
	case <-tail.CaughtUp():
	case <-ctx.Done():
	}
	cancel()
	<-done
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("deadletters: reading the %s topic: %w", cfg.Topic(schemas.TopicDeadLetters), err)
	}
	out := make([]Entry, 0, len(byID))
	for _, e := range byID {
		out = append(out, e)
	}
	sort.Slice(out, func(i, j int) bool {
		if !out[i].At.Equal(out[j].At) {
			return out[i].At.Before(out[j].At)
		}
		return out[i].ID < out[j].ID
	})
	return out, nil
}
