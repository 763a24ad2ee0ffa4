package bus

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"os/signal"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/jitgate/jitgate/schemas"
)

// batchProcessEnv, when set, makes the test binary run RunBatches (see
// TestMain) instead of the tests.
const batchProcessEnv = "JITGATE_BUS_BATCH_PROCESS"

// runBatchProcess runs a batch consumer with the group and instance from
// the environment until SIGTERM; its sink publishes a reply per record.
// Exit code 3: fenced.
func runBatchProcess() int {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM)
	defer stop()
	cfg := processConfig()
	err := RunBatches(ctx, BatchConfig{Bus: cfg, Group: os.Getenv("JITGATE_BUS_GROUP"), Topics: []string{schemas.TopicRequests},
		Instance: os.Getenv("JITGATE_BUS_INSTANCE")}, replySink(cfg))
	return processExit(err)
}

// replySink is a batch handler that answers every request on the
// responses topic.
func replySink(cfg Config) BatchHandler {
	var pub *Publisher
	return func(ctx context.Context, ms []Message) error {
		if pub == nil {
			p, err := NewPublisher(cfg)
			if err != nil {
				return err
			}
			pub = p
		}
		var outs []Output
		for _, m := range ms {
			env, err := schemas.NewEnvelope(m.Envelope.RequestID+"-reply", m.Envelope.RequestID, "sink", time.Now(), &schemas.ResponseReady{Outcome: schemas.OutcomeDenied})
			if err != nil {
				return err
			}
			outs = append(outs, Output{Topic: schemas.TopicResponses, Envelope: env})
		}
		return pub.Publish(ctx, outs...)
	}
}

// A batch consumer (the recorder) killed with SIGKILL and restarted with
// the same instance takes its partitions back at once, as a stage does.
func TestRestartedBatchConsumerTakesOverAtOnce(t *testing.T) {
	for name, addrs := range brokers(t) {
		t.Run(name, func(t *testing.T) {
			checkTakeover(t, addrs, func(t *testing.T, cfg Config, instance string) *exec.Cmd {
				return startProcess(t, cfg, batchProcessEnv, instance)
			})
		})
	}
}

// A batch consumer stopped cleanly leaves the group: another member gets
// its partitions at once, not after the static member's session timeout.
// Two live consumers with one instance: the older stops with ErrFenced.
func TestBatchConsumerInstance(t *testing.T) {
	for name, addrs := range brokers(t) {
		t.Run(name, func(t *testing.T) {
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			cfg := testConfig(t, addrs)
			replies, stop := collect(t, ctx, cfg, "", schemas.TopicResponses)
			defer stop()
			pub := testPublisher(t, cfg)
			run := func(ctx context.Context, instance string) chan error {
				done := make(chan error, 1)
				go func() {
					done <- RunBatches(ctx, BatchConfig{Bus: cfg, Group: testGroup(t), Topics: []string{schemas.TopicRequests},
						Instance: instance, RetryPause: 50 * time.Millisecond}, replySink(cfg))
				}()
				return done
			}

			actx, stopA := context.WithCancel(ctx)
			a := run(actx, "a")
			warm := publishAcross(t, ctx, pub, "warm")
			waitFor(t, "a's batches", func() bool { return containsAll(replies(), warm) })
			b := run(ctx, "b")
			both := publishAcross(t, ctx, pub, "both")
			waitFor(t, "a's and b's batches", func() bool { return containsAll(replies(), both) })
			stopA()
			if err := <-a; err != nil {
				t.Fatalf("a stopped with %v", err)
			}
			start := time.Now()
			alone := publishAcross(t, ctx, pub, "alone")
			waitFor(t, "b's batches after a left", func() bool { return containsAll(replies(), alone) })
			if took := time.Since(start); took >= SessionTimeout {
				t.Fatalf("b served a's partitions after %v: a did not leave the group", took)
			}

			twin := run(ctx, "b")
			select {
			case err := <-b:
				if !errors.Is(err, ErrFenced) {
					t.Fatalf("the older consumer returned %v, want ErrFenced", err)
				}
			case err := <-twin:
				t.Fatalf("the newer consumer stopped first: %v", err)
			case <-time.After(30 * time.Second):
				t.Fatal("the older consumer did not stop within 30 s of being fenced")
			}
			more := publishAcross(t, ctx, pub, "more")
			waitFor(t, "the newer consumer's batches", func() bool { return containsAll(replies(), more) })
		})
	}
}

// A batch consumer fenced while its sink holds a batch (a twin took its
// instance over) closes its client at once (fenceGuard), so that franz-go
// does not join again and take the instance back from the twin; it stops
// with ErrFenced once the sink returns, and the twin keeps the partitions.
func TestBatchConsumerFencedMidBatch(t *testing.T) {
	for name, addrs := range brokers(t) {
		t.Run(name, func(t *testing.T) {
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			cfg := testConfig(t, addrs)
			replies, stop := collect(t, ctx, cfg, "", schemas.TopicResponses)
			defer stop()
			pub := testPublisher(t, cfg)
			run := func(instance string, h BatchHandler) chan error {
				done := make(chan error, 1)
				go func() {
					done <- RunBatches(ctx, BatchConfig{Bus: cfg, Group: testGroup(t), Topics: []string{schemas.TopicRequests},
						Instance: instance, RetryPause: 50 * time.Millisecond}, h)
				}()
				return done
			}
			var block atomic.Bool
			entered, release := make(chan struct{}), make(chan struct{})
			var once sync.Once
			sink := replySink(cfg)
			old := run("b", func(ctx context.Context, ms []Message) error {
				if block.Load() {
					once.Do(func() { close(entered) })
					<-release
				}
				return sink(ctx, ms)
			})
			warm := publishAcross(t, ctx, pub, "warm")
			waitFor(t, "the first consumer's batches", func() bool { return containsAll(replies(), warm) })
			block.Store(true)
			publishAcross(t, ctx, pub, "held")
			select {
			case <-entered:
			case <-time.After(30 * time.Second):
				t.Fatal("the first consumer's sink never got the held batch")
			}

			twin := run("b", replySink(cfg))
			more := publishAcross(t, ctx, pub, "more")
			waitFor(t, "the twin's batches", func() bool { return containsAll(replies(), more) })
			// Long enough for franz-go to have joined again (it retries
			// after 100 ms) had the client stayed open.
			time.Sleep(3 * time.Second)
			close(release)
			select {
			case err := <-old:
				if !errors.Is(err, ErrFenced) {
					t.Fatalf("the fenced consumer returned %v, want ErrFenced", err)
				}
			case <-time.After(30 * time.Second):
				t.Fatal("the fenced consumer did not stop within 30 s of its sink returning")
			}
			after := publishAcross(t, ctx, pub, "after")
			waitFor(t, "the twin's batches after the old one stopped", func() bool { return containsAll(replies(), after) })
			select {
			case err := <-twin:
				t.Fatalf("the twin stopped: %v (the fenced consumer took its instance back)", err)
			default:
			}
		})
	}
}
