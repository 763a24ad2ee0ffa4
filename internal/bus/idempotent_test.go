package bus

import (
	"context"
	"errors"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/jitgate/jitgate/schemas"
)

// TestIdempotentStageCommitsAfterTheAcks: in the idempotent mode a batch
// whose outputs were not all acknowledged is not committed: it is handled
// again, and what had already landed is written once more under the same
// event ids (the handler derives them), so readers see the same events.
// The input's offset is committed only once every output is acknowledged.
func TestIdempotentStageCommitsAfterTheAcks(t *testing.T) {
	cases := []struct {
		name string
		// lost: the first publish wrote every output but its
		// acknowledgement counts as lost; otherwise one output of the
		// first try goes to a topic that does not exist.
		lost bool
		want map[string]int // event id -> copies on the responses topic
	}{
		{"one output of the batch fails", false, map[string]int{"r1/a": 2, "r1/b": 1}},
		{"every output lands but the ack is lost", true, map[string]int{"r1/a": 2, "r1/b": 2}},
	}
	for name, addrs := range brokers(t) {
		for _, c := range cases {
			t.Run(name+"/"+c.name, func(t *testing.T) {
				ctx, cancel := context.WithCancel(context.Background())
				defer cancel()
				cfg := testConfig(t, addrs)
				group := testGroup(t)
				ids := tailIDs(t, ctx, cfg, schemas.TopicResponses)
				var (
					tries          atomic.Int32
					committedEarly atomic.Bool
				)
				handler := func(ctx context.Context, m Message) (Result, error) {
					try := tries.Add(1)
					if try > 1 && committedPast(t, cfg, group, schemas.TopicRequests, "k", m.Offset) {
						committedEarly.Store(true)
					}
					out := func(role, topic string) Output {
						env, err := schemas.NewEnvelope(m.Envelope.ID+"/"+role, m.Envelope.RequestID, "test", m.Envelope.Time,
							&schemas.ResponseReady{Outcome: schemas.OutcomeDenied})
						if err != nil {
							t.Fatal(err)
						}
						return Output{Topic: topic, Envelope: env}
					}
					second := schemas.TopicResponses
					if try == 1 && !c.lost {
						second = "no-such-topic"
					}
					return Result{Out: []Output{out("a", schemas.TopicResponses), out("b", second)}}, nil
				}
				var lostOnce sync.Once
				scfg := StageConfig{Bus: cfg, Group: group, Topics: []string{schemas.TopicRequests}, Instance: "i1", Idempotent: true,
					RetryPause: 10 * time.Millisecond}
				if c.lost {
					scfg.afterProduce = func([]*kgo.Record) (err error) {
						lostOnce.Do(func() { err = errors.New("acknowledgement lost") })
						return err
					}
				}
				done := make(chan error, 1)
				go func() { done <- RunStage(ctx, scfg, handler) }()
				pub := testPublisher(t, cfg)
				in, err := schemas.NewEnvelope("r1", "r1", "test", time.Now(), &schemas.RequestReceived{})
				if err != nil {
					t.Fatal(err)
				}
				if err := pub.Publish(ctx, Output{Topic: schemas.TopicRequests, Key: "k", Envelope: in}); err != nil {
					t.Fatal(err)
				}
				waitFor(t, "the input's offset committed", func() bool { return committedPast(t, cfg, group, schemas.TopicRequests, "k", 0) })
				waitFor(t, "every copy", func() bool { return len(ids()) >= total(c.want) })
				time.Sleep(200 * time.Millisecond) // a further copy would show by now
				got := map[string]int{}
				for _, id := range ids() {
					got[id]++
				}
				if !mapsEqual(got, c.want) {
					t.Errorf("copies per event id %v, want %v", got, c.want)
				}
				if n := tries.Load(); n != 2 {
					t.Errorf("handled %d times, want 2 (the failed batch once more)", n)
				}
				if committedEarly.Load() {
					t.Error("the input's offset was committed before its outputs were acknowledged")
				}
				cancel()
				if err := <-done; err != nil {
					t.Fatalf("RunStage: %v", err)
				}
			})
		}
	}
}

// tailIDs gathers the event ids written to topic from now on.
func tailIDs(t *testing.T, ctx context.Context, cfg Config, topic string) func() []string {
	t.Helper()
	tail, err := NewTail(ctx, cfg, FromEnd, nil, topic)
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var got []string
	go tail.Run(ctx, nil, func(m Message) {
		mu.Lock()
		got = append(got, m.Envelope.ID)
		mu.Unlock()
	})
	return func() []string {
		mu.Lock()
		defer mu.Unlock()
		return slices.Clone(got)
	}
}

func total(m map[string]int) int {
	n := 0
	for _, v := range m {
		n += v
	}
	return n
}

func mapsEqual(a, b map[string]int) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}
