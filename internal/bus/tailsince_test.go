package bus

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/jitgate/jitgate/schemas"
)

func TestTailSinceReadsOnlyRecent(t *testing.T) {
	for name, addrs := range brokers(t) {
		t.Run(name, func(t *testing.T) {
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			cfg := testConfig(t, addrs)
			pub, err := NewPublisher(cfg)
			if err != nil {
				t.Fatal(err)
			}
			defer pub.Close()
			publish := func(prefix string, n int) {
				for i := range n {
					out := Output{Topic: schemas.TopicSignatures, Envelope: event(t, fmt.Sprintf("%s-%d", prefix, i), &schemas.SignatureSeen{})}
					if err := pub.Publish(ctx, out); err != nil {
						t.Fatal(err)
					}
				}
			}
			publish("old", 4)
			time.Sleep(50 * time.Millisecond) // record timestamps have millisecond resolution
			since := time.Now()
			time.Sleep(50 * time.Millisecond)
			publish("new", 3)

			tests := []struct {
				name  string
				since time.Time
				want  int
			}{
				{"recent records only", since, 3},
				{"everything", since.Add(-time.Hour), 7},
				{"nothing yet", time.Now().Add(time.Hour), 0},
			}
			for _, tt := range tests {
				t.Run(tt.name, func(t *testing.T) {
					tctx, stop := context.WithCancel(ctx)
					defer stop()
					tail, err := NewTailSince(tctx, cfg, tt.since, nil, schemas.TopicSignatures)
					if err != nil {
						t.Fatal(err)
					}
					var mu sync.Mutex
					var seen []string
					done := make(chan struct{})
					go func() {
						defer close(done)
						tail.Run(tctx, nil, func(m Message) { mu.Lock(); seen = append(seen, m.Envelope.RequestID); mu.Unlock() })
					}()
					select {
					case <-tail.CaughtUp():
					case <-time.After(30 * time.Second):
						t.Fatal("tail never caught up")
					}
					stop()
					<-done
					if len(seen) != tt.want {
						t.Fatalf("caught up after %v, want %d records", seen, tt.want)
					}
				})
			}
		})
	}
}
