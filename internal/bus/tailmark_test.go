package bus

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/jitgate/jitgate/schemas"
)

// TestTailMark: a mark is reached per partition once the tail has read
// every record written before it, commit markers included; a partition
// with nothing to read is reached at once; a tail from the end has read
// everything before it started.
func TestTailMark(t *testing.T) {
	for name, addrs := range brokers(t) {
		t.Run(name, func(t *testing.T) {
			cfg := testConfig(t, addrs)
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			pub := testPublisher(t, cfg)
			// Enough request ids that at least one partition gets records.
			written := map[int32]bool{}
			for i := range 4 {
				env := event(t, fmt.Sprintf("req-%d", i), &schemas.HoldExpired{})
				if err := pub.Publish(ctx, Output{Topic: schemas.TopicHolds, Envelope: env}); err != nil {
					t.Fatal(err)
				}
			}
			tail, err := NewTail(ctx, cfg, FromStart, nil, schemas.TopicHolds)
			if err != nil {
				t.Fatal(err)
			}
			m, err := tail.Mark(ctx, schemas.TopicHolds)
			if err != nil {
				t.Fatal(err)
			}
			for p, end := range m.ends {
				written[p] = end > 0
				if m.Reached(p) == written[p] {
					t.Fatalf("partition %d (end %d) reached %v before the tail read anything", p, end, m.Reached(p))
				}
			}
			if len(written) != int(cfg.Partitions) || m.Reached(cfg.Partitions) {
				t.Fatalf("mark of %d partitions; a partition it does not know reads as reached: %v", len(written), m.Reached(cfg.Partitions))
			}
			rctx, stop := context.WithCancel(ctx)
			done := make(chan struct{})
			go func() { defer close(done); _ = tail.Run(rctx, nil, func(Message) {}) }()
			defer func() { stop(); <-done }()
			waitFor(t, "the tail to reach the mark", func() bool {
				for p := range written {
					if !m.Reached(p) {
						return false
					}
				}
				return true
			})

			end, err := NewTail(ctx, cfg, FromEnd, nil, schemas.TopicHolds)
			if err != nil {
				t.Fatal(err)
			}
			defer end.Close()
			em, err := end.Mark(ctx, schemas.TopicHolds)
			if err != nil {
				t.Fatal(err)
			}
			for p := range written {
				if !em.Reached(p) {
					t.Fatalf("a tail from the end has not reached partition %d, with nothing written since it started", p)
				}
			}
		})
	}
}
