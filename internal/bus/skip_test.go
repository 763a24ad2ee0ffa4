package bus

import (
	"context"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/jitgate/jitgate/schemas"
)

// A stage reads only the types it names: others are not handed to the
// handler (and are not decoded).
func TestStageSkipsOtherTypes(t *testing.T) {
	eachStage(t, func(t *testing.T, addrs []string, idempotent bool) {
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		cfg := testConfig(t, addrs)
		var mu sync.Mutex
		var seen []string
		handler := func(ctx context.Context, m Message) (Result, error) {
			mu.Lock()
			seen = append(seen, m.Envelope.RequestID+" "+string(m.Envelope.Type))
			mu.Unlock()
			return Result{}, nil
		}
		go RunStage(ctx, StageConfig{Bus: cfg, Group: testGroup(t), Topics: []string{schemas.TopicExecutions}, Instance: "i1", Idempotent: idempotent,
			Types: []schemas.Type{schemas.TypeExecutionFinished}}, handler)
		pub := testPublisher(t, cfg)
		if err := pub.Publish(ctx,
			Output{Topic: schemas.TopicExecutions, Envelope: event(t, "r1", &schemas.ExecutionStarted{})},
			Output{Topic: schemas.TopicExecutions, Envelope: event(t, "r1", &schemas.ExecutionFinished{})}); err != nil {
			t.Fatal(err)
		}
		waitFor(t, "the finished event", func() bool {
			mu.Lock()
			defer mu.Unlock()
			return len(seen) > 0
		})
		time.Sleep(200 * time.Millisecond)
		mu.Lock()
		defer mu.Unlock()
		if want := []string{"r1 execution.finished"}; !slices.Equal(seen, want) {
			t.Fatalf("handled %q, want %q", seen, want)
		}
	})
}

// Events whose handling publishes nothing open no transaction; their
// offsets are committed with the next batch that publishes or once the
// stage is idle, so a restarted stage neither repeats nor loses anything.
func TestStageSkipsEmptyTransactions(t *testing.T) {
	eachStage(t, func(t *testing.T, addrs []string, idempotent bool) {
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		cfg := testConfig(t, addrs)
		got, stop := collect(t, ctx, cfg, "", schemas.TopicResponses)
		defer stop()
		var mu sync.Mutex
		handled := map[string]int{}
		handler := func(ctx context.Context, m Message) (Result, error) {
			id := m.Envelope.RequestID
			mu.Lock()
			handled[id]++
			mu.Unlock()
			if id[:4] == "noop" {
				return Result{}, nil
			}
			reply := event(t, id, &schemas.ResponseReady{Outcome: schemas.OutcomeDenied})
			return Result{Out: []Output{{Topic: schemas.TopicResponses, Envelope: reply}}}, nil
		}
		run := func(ctx context.Context) chan error {
			done := make(chan error, 1)
			go func() {
				done <- RunStage(ctx, StageConfig{Bus: cfg, Group: testGroup(t), Topics: []string{schemas.TopicRequests}, Instance: "i1", Idempotent: idempotent,
					RetryPause: 50 * time.Millisecond}, handler)
			}()
			return done
		}
		pub := testPublisher(t, cfg)
		publish := func(ids ...string) {
			t.Helper()
			for _, id := range ids {
				// One key: one partition, in this order.
				if err := pub.Publish(ctx, Output{Topic: schemas.TopicRequests, Key: "k",
					Envelope: event(t, id, &schemas.RequestReceived{})}); err != nil {
					t.Fatal(err)
				}
			}
		}
		sctx, stopStage := context.WithCancel(ctx)
		done := run(sctx)
		publish("noop-1", "real-1")
		waitFor(t, "real-1's reply", func() bool { return slices.Contains(got(), "real-1") })
		publish("noop-2")
		waitFor(t, "noop-2's offset committed while the stage is idle", func() bool {
			return committedPast(t, cfg, testGroup(t), schemas.TopicRequests, "k", 2)
		})
		stopStage()
		if err := <-done; err != nil {
			t.Fatal(err)
		}
		// The restarted stage starts after noop-2.
		done = run(ctx)
		publish("real-2")
		waitFor(t, "real-2's reply", func() bool { return slices.Contains(got(), "real-2") })
		cancel()
		<-done
		mu.Lock()
		defer mu.Unlock()
		want := map[string]int{"noop-1": 1, "real-1": 1, "noop-2": 1, "real-2": 1}
		for id, n := range want {
			if handled[id] != n {
				t.Errorf("%s handled %d times, want %d (all: %v)", id, handled[id], n, handled)
			}
		}
		if g := got(); len(g) != 2 {
			t.Errorf("replies %q, want one each for real-1 and real-2", g)
		}
	})
}

// committedPast reports whether group's committed offset on the partition
// of key in topic is past offset.
func committedPast(t *testing.T, cfg Config, group, topic, key string, offset int64) bool {
	t.Helper()
	cl, err := kgo.NewClient(cfg.clientOpts()...)
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	offs, err := kadm.NewClient(cl).FetchOffsets(ctx, group)
	if err != nil {
		return false
	}
	var past bool
	offs.Each(func(o kadm.OffsetResponse) {
		if o.Topic == cfg.Topic(topic) && o.Err == nil && o.At > offset {
			past = true
		}
	})
	return past
}
