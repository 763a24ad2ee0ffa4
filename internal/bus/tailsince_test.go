package bus

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/jitgate/jitgate/schemas"
)

// TestTailSinceReadsOnlyRecentRecords: a tail since t reads what was
// written from t on, catches up, and skips what came before.
func TestTailSinceReadsOnlyRecentRecords(t *testing.T) {
	for name, addrs := range brokers(t) {
		t.Run(name, func(t *testing.T) {
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			cfg := testConfig(t, addrs)
			pub := testPublisher(t, cfg)
			publish := func(prefix string, n int) {
				for i := range n {
					if err := pub.Publish(ctx, Output{Topic: schemas.TopicExecutions, Envelope: event(t, fmt.Sprintf("%s-%d", prefix, i), &schemas.ExecutionStarted{})}); err != nil {
						t.Fatal(err)
					}
				}
			}
			publish("old", 4)
			time.Sleep(20 * time.Millisecond)
			since := time.Now()
			time.Sleep(20 * time.Millisecond)
			publish("new", 5)

			cases := []struct {
				name  string
				since time.Time
				types []schemas.Type // nil = Run, else RunTypes
				want  int
			}{
				{"since the middle", since, nil, 5},
				{"since before everything", since.Add(-time.Hour), nil, 9},
				{"since the future", time.Now().Add(time.Hour), nil, 0},
				{"only the types asked for", since.Add(-time.Hour), []schemas.Type{schemas.TypeExecutionStarted}, 9},
				{"no record of the types asked for", since.Add(-time.Hour), []schemas.Type{schemas.TypeExecutionFinished}, 0},
			}
			for _, tc := range cases {
				t.Run(tc.name, func(t *testing.T) {
					tail, err := NewTailSince(ctx, cfg, tc.since, nil, schemas.TopicExecutions)
					if err != nil {
						t.Fatal(err)
					}
					tctx, stop := context.WithCancel(ctx)
					defer stop()
					var mu sync.Mutex
					var seen []string
					add := func(m Message) { mu.Lock(); seen = append(seen, m.Envelope.RequestID); mu.Unlock() }
					if tc.types == nil {
						go tail.Run(tctx, nil, add)
					} else {
						go tail.RunTypes(tctx, tc.types, add)
					}
					select {
					case <-tail.CaughtUp():
					case <-time.After(30 * time.Second):
						t.Fatal("tail never caught up")
					}
					mu.Lock()
					defer mu.Unlock()
					if len(seen) != tc.want {
						t.Fatalf("caught up after %v, want %d records", seen, tc.want)
					}
				})
			}
		})
	}
}
