package bus

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jitgate/jitgate/schemas"
)

// tailDeadLetters gathers the dead letters written from now on.
func tailDeadLetters(t *testing.T, ctx context.Context, cfg Config) func() []*schemas.DeadLetter {
	t.Helper()
	tail, err := NewTail(ctx, cfg, FromEnd, nil, schemas.TopicDeadLetters)
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var got []*schemas.DeadLetter
	go tail.Run(ctx, nil, func(m Message) {
		dl, err := schemas.DecodeAs[*schemas.DeadLetter](m.Envelope)
		if err != nil {
			t.Errorf("dead letter does not decode: %v", err)
			return
		}
		mu.Lock()
		got = append(got, dl)
		mu.Unlock()
	})
	return func() []*schemas.DeadLetter {
		mu.Lock()
		defer mu.Unlock()
		return slices.Clone(got)
	}
}

// replyHandler answers every request.received with a response.ready.
func replyHandler(t testing.TB) Handler {
	return func(ctx context.Context, m Message) (Result, error) {
		if _, err := schemas.DecodeAs[*schemas.RequestReceived](m.Envelope); err != nil {
			return Result{}, err // undecodable payload: the loop's business
		}
		reply := event(t, m.Envelope.RequestID, &schemas.ResponseReady{Outcome: schemas.OutcomeDenied})
		return Result{Out: []Output{{Topic: schemas.TopicResponses, Envelope: reply}}}, nil
	}
}

// Records no handler can read, before good ones on the same partition,
// are dead-lettered at once (no retries) and the partition keeps flowing.
func TestPoisonIsDeadLetteredAndThePartitionFlows(t *testing.T) {
	eachStage(t, func(t *testing.T, addrs []string, idempotent bool) {
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		cfg := testConfig(t, addrs)
		replies, stop := collect(t, ctx, cfg, "", schemas.TopicResponses)
		defer stop()
		dead := tailDeadLetters(t, ctx, cfg)
		var counts Counters
		go RunStage(ctx, StageConfig{Bus: cfg, Group: testGroup(t), Topics: []string{schemas.TopicRequests}, Instance: "i1", Idempotent: idempotent,
			RetryPause: 5 * time.Second, Hooks: []Hook{&counts}}, replyHandler(t))

		pub := testPublisher(t, cfg)
		badVersion := event(t, "bad-version", &schemas.RequestReceived{})
		badVersion.Version = 99
		// A payload of another type under request.received's name.
		wrongPayload := event(t, "wrong-payload", &schemas.HoldExpired{})
		wrongPayload.Type = schemas.TypeRequestReceived
		wrongPayload.Payload = []byte(`{"no_such_field":1}`)
		outs := []Output{
			{Topic: schemas.TopicRequests, Key: "k", Envelope: badVersion},
			{Topic: schemas.TopicRequests, Key: "k", Envelope: wrongPayload},
			{Topic: schemas.TopicRequests, Key: "k", Envelope: event(t, "good", &schemas.RequestReceived{})},
		}
		start := time.Now()
		if err := pub.Publish(ctx, outs...); err != nil {
			t.Fatal(err)
		}
		waitFor(t, "the good request's reply", func() bool { return slices.Contains(replies(), "good") })
		// RetryPause is 5 s: a retry before dead-lettering would show.
		if took := time.Since(start); took > 4*time.Second {
			t.Errorf("the partition was held up %v by poison events", took)
		}
		waitFor(t, "two dead letters", func() bool { return len(dead()) == 2 })
		// The hook runs once the dead letters' transaction committed,
		// which a tail may see first.
		waitFor(t, "two dead letters counted", func() bool { return counts.DeadLetters.Load() >= 2 })
		for _, dl := range dead() {
			if dl.Kind != schemas.DeadLetterUndecodable || dl.Stage != testGroup(t) || dl.Topic != cfg.Topic(schemas.TopicRequests) || len(dl.Value) == 0 || dl.Reason == "" {
				t.Errorf("dead letter %+v", dl)
			}
		}
		time.Sleep(100 * time.Millisecond)
		if got := counts.DeadLetters.Load(); got != 2 {
			t.Errorf("counted %d dead letters, want 2", got)
		}
		if r := replies(); len(r) != 1 {
			t.Errorf("replies %v, want only the good one", r)
		}
	})
}

// A handler that keeps failing (an error or a panic) is tried MaxAttempts
// times, then its event is dead-lettered and the next one handled; a
// handler that is not ready yet is never dead-lettered, however long it
// waits.
func TestFailingHandlerIsDeadLetteredAfterMaxAttempts(t *testing.T) {
	cases := []struct {
		name     string
		fail     func(try int) error // nil: succeed
		kind     string              // "": no dead letter
		attempts int
	}{
		{"error every time", func(int) error { return errors.New("upstream view broken") }, schemas.DeadLetterFailed, 3},
		{"panic every time", func(int) error { panic("handler bug") }, schemas.DeadLetterPanic, 3},
		{"not ready for a while", func(try int) error {
			if try <= 10 {
				return fmt.Errorf("view catching up: %w", ErrNotReady)
			}
			return nil
		}, "", 11},
		{"fails twice then works", func(try int) error {
			if try <= 2 {
				return errors.New("transient")
			}
			return nil
		}, "", 3},
	}
	eachStage(t, func(t *testing.T, addrs []string, idempotent bool) {
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				ctx, cancel := context.WithCancel(context.Background())
				defer cancel()
				cfg := testConfig(t, addrs)
				replies, stop := collect(t, ctx, cfg, "", schemas.TopicResponses)
				defer stop()
				dead := tailDeadLetters(t, ctx, cfg)
				var tries atomic.Int32
				var counts Counters
				reply := replyHandler(t)
				handler := func(ctx context.Context, m Message) (Result, error) {
					if m.Envelope.RequestID == "bad" {
						if err := c.fail(int(tries.Add(1))); err != nil {
							return Result{}, err
						}
					}
					return reply(ctx, m)
				}
				done := make(chan error, 1)
				go func() {
					done <- RunStage(ctx, StageConfig{Bus: cfg, Group: testGroup(t), Topics: []string{schemas.TopicRequests}, Instance: "i1", Idempotent: idempotent,
						MaxAttempts: 3, RetryPause: 10 * time.Millisecond, NotReadyPause: 10 * time.Millisecond, Hooks: []Hook{&counts}}, handler)
				}()
				pub := testPublisher(t, cfg)
				if err := pub.Publish(ctx,
					Output{Topic: schemas.TopicRequests, Key: "k", Envelope: event(t, "bad", &schemas.RequestReceived{})},
					Output{Topic: schemas.TopicRequests, Key: "k", Envelope: event(t, "next", &schemas.RequestReceived{})}); err != nil {
					t.Fatal(err)
				}
				waitFor(t, "the next request's reply", func() bool { return slices.Contains(replies(), "next") })
				time.Sleep(200 * time.Millisecond) // a late dead letter or retry would show by now
				if got := int(tries.Load()); got != c.attempts {
					t.Errorf("handler ran %d times on the bad event, want %d", got, c.attempts)
				}
				dls := dead()
				if c.kind == "" {
					if len(dls) != 0 || !slices.Contains(replies(), "bad") {
						t.Fatalf("dead letters %+v, replies %v: want none and a reply", dls, replies())
					}
				} else {
					if len(dls) != 1 || dls[0].Kind != c.kind || dls[0].Attempts != c.attempts || dls[0].Type != schemas.TypeRequestReceived {
						t.Fatalf("dead letters %+v, want one of kind %s after %d attempts", dls, c.kind, c.attempts)
					}
					if slices.Contains(replies(), "bad") {
						t.Fatal("the dead-lettered event was also answered")
					}
				}
				if c.kind == schemas.DeadLetterPanic && counts.Panics.Load() != int64(c.attempts) {
					t.Errorf("counted %d panics, want %d", counts.Panics.Load(), c.attempts)
				}
				cancel()
				if err := <-done; err != nil {
					t.Fatalf("RunStage: %v", err)
				}
			})
		}
	})
}

// A batch handler that panics is recovered; the record that makes it
// panic is found and dead-lettered, every other record is stored.
func TestRunBatchesRecoversPanics(t *testing.T) {
	for name, addrs := range brokers(t) {
		t.Run(name, func(t *testing.T) {
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			cfg := testConfig(t, addrs)
			dead := tailDeadLetters(t, ctx, cfg)
			var mu sync.Mutex
			stored := map[string]bool{}
			var counts Counters
			handler := func(ctx context.Context, ms []Message) error {
				for _, m := range ms {
					if m.Envelope.RequestID == "poison" {
						panic("sink bug")
					}
				}
				mu.Lock()
				defer mu.Unlock()
				for _, m := range ms {
					stored[m.Envelope.RequestID] = true
				}
				return nil
			}
			pub := testPublisher(t, cfg)
			ids := []string{"a", "b", "poison", "c", "d"}
			for _, id := range ids {
				if err := pub.Publish(ctx, Output{Topic: schemas.TopicGrants, Key: "k", Envelope: event(t, id, &schemas.GrantRevoked{})}); err != nil {
					t.Fatal(err)
				}
			}
			done := make(chan error, 1)
			go func() {
				done <- RunBatches(ctx, BatchConfig{Bus: cfg, Group: testGroup(t) + ".sink", Topics: []string{schemas.TopicGrants},
					MaxAttempts: 2, RetryPause: 10 * time.Millisecond, Hooks: []Hook{&counts}}, handler)
			}()
			waitFor(t, "the poison record's dead letter", func() bool { return len(dead()) == 1 })
			waitFor(t, "every other record stored", func() bool {
				mu.Lock()
				defer mu.Unlock()
				return stored["a"] && stored["b"] && stored["c"] && stored["d"]
			})
			if dl := dead()[0]; dl.Kind != schemas.DeadLetterPanic || dl.Stage != testGroup(t)+".sink" || dl.EventID != "poison-grant.revoked" {
				t.Fatalf("dead letter %+v", dl)
			}
			if counts.Panics.Load() < 2 {
				t.Errorf("counted %d panics", counts.Panics.Load())
			}
			cancel()
			if err := <-done; err != nil {
				t.Fatalf("RunBatches: %v", err)
			}
		})
	}
}

// A batch a rebalance aborted is handled again at once; a failed one waits,
// longer with each try of the same event.
func TestRetryPause(t *testing.T) {
	cfg := StageConfig{RetryPause: time.Second, MaxRetryPause: 5 * time.Second, NotReadyPause: 10 * time.Millisecond}
	cases := []struct {
		name string
		err  error
		want time.Duration
	}{
		{"aborted by a rebalance", fmt.Errorf("batch: %w", errRebalanced), 0},
		{"not ready", fmt.Errorf("view: %w", ErrNotReady), 10 * time.Millisecond},
		{"failed once", errors.New("commit: UNKNOWN_SERVER_ERROR"), time.Second},
		{"third try of an event", &retryError{attempt: 3, err: errors.New("handler")}, 4 * time.Second},
		{"many tries", &retryError{attempt: 9, err: errors.New("handler")}, 5 * time.Second},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := cfg.pause(c.err); got != c.want {
				t.Errorf("pause(%v) = %v, want %v", c.err, got, c.want)
			}
		})
	}
}
