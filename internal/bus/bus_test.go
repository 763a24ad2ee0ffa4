package bus

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jitgate/jitgate/schemas"
)

// brokers yields the embedded broker always and a real Kafka broker when
// JITGATE_TEST_KAFKA names one (make test starts it): one suite, two brokers.
func brokers(t testing.TB) map[string][]string {
	t.Helper()
	e, err := StartEmbedded(0, "")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(e.Close)
	out := map[string][]string{"embedded": e.Addrs()}
	if real := os.Getenv("JITGATE_TEST_KAFKA"); real != "" {
		out["kafka"] = strings.Split(real, ",")
	}
	return out
}

// stageModes are RunStage's two deliveries (StageConfig.Idempotent).
var stageModes = []struct {
	name       string
	idempotent bool
}{{"transactional", false}, {"idempotent", true}}

// eachStage runs a stage test on every broker in both delivery modes: the
// failure policy, membership and Owned must hold in each.
func eachStage(t *testing.T, f func(t *testing.T, addrs []string, idempotent bool)) {
	t.Helper()
	for name, addrs := range brokers(t) {
		for _, m := range stageModes {
			t.Run(name+"/"+m.name, func(t *testing.T) { f(t, addrs, m.idempotent) })
		}
	}
}

// testPublisher connects a publisher to cfg's brokers for t, closed at
// t's cleanup.
func testPublisher(t testing.TB, cfg Config) *Publisher {
	t.Helper()
	pub, err := NewPublisher(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pub.Close)
	return pub
}

func testConfig(t testing.TB, addrs []string) Config {
	prefix := fmt.Sprintf("t%d.%s.", time.Now().UnixNano(), strings.ReplaceAll(t.Name(), "/", "."))
	cfg := Config{Brokers: addrs, Prefix: prefix, Partitions: 3, Replication: 1}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := EnsureTopics(ctx, cfg); err != nil {
		t.Fatal(err)
	}
	return cfg
}

// testGroup is a consumer group of the test's own: on a real broker every
// test (and every package's tests, run in parallel) shares the cluster,
// and a shared group would rebalance, or fence, across tests.
func testGroup(t testing.TB) string {
	return "g." + strings.ReplaceAll(t.Name(), "/", ".")
}

func event(t testing.TB, reqID string, p schemas.Payload) schemas.Envelope {
	t.Helper()
	env, err := schemas.NewEnvelope(reqID+"-"+string(p.EventType()), reqID, "test", time.Now(), p)
	if err != nil {
		t.Fatal(err)
	}
	return env
}

// collect tails topic from its end and gathers request ids per reply-to filter.
func collect(t *testing.T, ctx context.Context, cfg Config, replyTo string, topic string) (func() []string, func()) {
	t.Helper()
	tail, err := NewTail(ctx, cfg, FromEnd, nil, topic)
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var got []string
	tctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = tail.Run(tctx, func(r string) bool { return replyTo == "" || r == replyTo }, func(m Message) {
			mu.Lock()
			got = append(got, m.Envelope.RequestID)
			mu.Unlock()
		})
	}()
	return func() []string {
			mu.Lock()
			defer mu.Unlock()
			return append([]string(nil), got...)
		}, func() {
			cancel()
			<-done
		}
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestStageTransformsAndRetries(t *testing.T) {
	eachStage(t, func(t *testing.T, addrs []string, idempotent bool) {
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		cfg := testConfig(t, addrs)
		got, stop := collect(t, ctx, cfg, "ingress-a", schemas.TopicResponses)
		defer stop()

		var failures atomic.Int32
		handler := func(ctx context.Context, m Message) (Result, error) {
			// The first attempt at req-2 fails: the transaction must
			// abort and the event be handled again, with no duplicate.
			if m.Envelope.RequestID == "req-2" && failures.Add(1) == 1 {
				return Result{}, errors.New("transient")
			}
			rr, err := schemas.DecodeAs[*schemas.RequestReceived](m.Envelope)
			if err != nil {
				return Result{}, err
			}
			reply := event(t, m.Envelope.RequestID, &schemas.ResponseReady{ReplyTo: rr.ReplyTo, Outcome: schemas.OutcomeDenied})
			return Result{Out: []Output{{Topic: schemas.TopicResponses, ReplyTo: rr.ReplyTo, Envelope: reply}}}, nil
		}
		stageDone := make(chan error, 1)
		go func() {
			stageDone <- RunStage(ctx, StageConfig{Bus: cfg, Group: testGroup(t), Topics: []string{schemas.TopicRequests},
				Instance: "i1", Idempotent: idempotent, RetryPause: 50 * time.Millisecond}, handler)
		}()

		pub := testPublisher(t, cfg)
		var outs []Output
		for i := 1; i <= 4; i++ {
			replyTo := "ingress-a"
			if i == 4 {
				replyTo = "ingress-b"
			}
			id := fmt.Sprintf("req-%d", i)
			outs = append(outs, Output{Topic: schemas.TopicRequests, Envelope: event(t, id, &schemas.RequestReceived{ReplyTo: replyTo})})
		}
		// An undecodable record must be skipped, not block the partition.
		bad := event(t, "req-0", &schemas.HoldExpired{})
		bad.Version = 99
		if err := pub.Publish(ctx, append([]Output{{Topic: schemas.TopicRequests, Envelope: bad}}, outs...)...); err != nil {
			t.Fatal(err)
		}
		waitFor(t, "three replies for ingress-a", func() bool { return len(got()) >= 3 })
		time.Sleep(300 * time.Millisecond) // a duplicate would show up by now
		ids := got()
		seen := map[string]int{}
		for _, id := range ids {
			seen[id]++
		}
		for _, id := range []string{"req-1", "req-2", "req-3"} {
			if seen[id] != 1 {
				t.Errorf("%s replied %d times, want exactly once (all: %v)", id, seen[id], ids)
			}
		}
		if seen["req-4"] != 0 {
			t.Errorf("reply for ingress-b reached ingress-a's tail")
		}
		if failures.Load() < 2 {
			t.Errorf("req-2 was not retried after the failure")
		}
		cancel()
		if err := <-stageDone; err != nil {
			t.Fatalf("RunStage: %v", err)
		}
	})
}

func TestAfterRunsOnlyOnceCommitted(t *testing.T) {
	eachStage(t, func(t *testing.T, addrs []string, idempotent bool) {
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		cfg := testConfig(t, addrs)
		got, stop := collect(t, ctx, cfg, "", schemas.TopicExecutions)
		defer stop()
		var calls atomic.Int32
		handler := func(ctx context.Context, m Message) (Result, error) {
			id := m.Envelope.RequestID
			started := event(t, id, &schemas.ExecutionStarted{Attempt: 1})
			return Result{
				Out: []Output{{Topic: schemas.TopicExecutions, Envelope: started}},
				After: func(ctx context.Context) []Output {
					calls.Add(1)
					fin := event(t, id, &schemas.ExecutionFinished{})
					return []Output{{Topic: schemas.TopicExecutions, Envelope: fin}}
				},
			}, nil
		}
		go RunStage(ctx, StageConfig{Bus: cfg, Group: testGroup(t), Topics: []string{schemas.TopicDecisions}, Instance: "i1", Idempotent: idempotent}, handler)
		pub := testPublisher(t, cfg)
		if err := pub.Publish(ctx, Output{Topic: schemas.TopicDecisions, Envelope: event(t, "req-1", &schemas.DecisionMade{Outcome: schemas.Allow})}); err != nil {
			t.Fatal(err)
		}
		waitFor(t, "started and finished", func() bool { return len(got()) >= 2 })
		if calls.Load() != 1 {
			t.Fatalf("After ran %d times", calls.Load())
		}
	})
}

func TestTooLargeRecordIsRefused(t *testing.T) {
	cfg := Config{Brokers: []string{"127.0.0.1:1"}}
	big := event(t, "r", &schemas.RequestBodyChunk{Data: make([]byte, MaxRecordBytes)})
	_, err := cfg.record(Output{Topic: schemas.TopicRequests, Envelope: big})
	var tl *TooLargeError
	if !errors.As(err, &tl) {
		t.Fatalf("got %v, want TooLargeError", err)
	}
}

func TestTailFromStartCatchesUp(t *testing.T) {
	for name, addrs := range brokers(t) {
		t.Run(name, func(t *testing.T) {
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			cfg := testConfig(t, addrs)
			// Some records written plainly, some by a committed transaction,
			// so the log ends in a transaction marker.
			pub := testPublisher(t, cfg)
			for i := range 5 {
				if err := pub.Publish(ctx, Output{Topic: schemas.TopicGrants, Envelope: event(t, fmt.Sprintf("g-%d", i), &schemas.GrantRevoked{})}); err != nil {
					t.Fatal(err)
				}
			}
			got, stop := collect(t, ctx, cfg, "", schemas.TopicGrants)
			stageCtx, stopStage := context.WithCancel(ctx)
			go RunStage(stageCtx, StageConfig{Bus: cfg, Group: testGroup(t), Topics: []string{schemas.TopicRequests}, Instance: "i"},
				func(ctx context.Context, m Message) (Result, error) {
					return Result{Out: []Output{{Topic: schemas.TopicGrants, Envelope: event(t, "t-"+m.Envelope.RequestID, &schemas.GrantRevoked{})}}}, nil
				})
			if err := pub.Publish(ctx, Output{Topic: schemas.TopicRequests, Envelope: event(t, "x", &schemas.RequestReceived{})}); err != nil {
				t.Fatal(err)
			}
			waitFor(t, "the transactional record", func() bool { return len(got()) == 1 })
			stop()
			stopStage()

			tail, err := NewTail(ctx, cfg, FromStart, nil, schemas.TopicGrants)
			if err != nil {
				t.Fatal(err)
			}
			var mu sync.Mutex
			seen := 0
			go tail.Run(ctx, nil, func(Message) { mu.Lock(); seen++; mu.Unlock() })
			select {
			case <-tail.CaughtUp():
			case <-time.After(30 * time.Second):
				t.Fatal("tail never caught up")
			}
			mu.Lock()
			defer mu.Unlock()
			if seen != 6 {
				t.Fatalf("caught up after %d records, want all 6", seen)
			}
		})
	}
}
