package executor

import (
	"context"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/jitgate/jitgate/internal/bus"
	"github.com/jitgate/jitgate/schemas"
)

// TestStageRefusesForgedAndReplayedDecisions writes decisions straight to
// the broker as an attacker who can write to Kafka would: forged,
// rewrapped under another request id, replayed byte for byte within and
// past the deadline, and replayed again to a restarted executor. Only the
// one authentic decision reaches the upstream (counted at the emulator's
// SigV4-checking front); every other is recorded as security.refused.
func TestStageRefusesForgedAndReplayedDecisions(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	bcfg, emu := stageEnv(t, ctx, 2)
	execs, stopExecs := tail(t, ctx, bcfg, schemas.TopicExecutions)
	defer stopExecs()
	security, stopSecurity := tail(t, ctx, bcfg, schemas.TopicSecurity)
	defer stopSecurity()
	start := func(instance string) (stop func()) {
		e, err := New(Config{Bus: bcfg, Instance: instance, DecisionKey: decisionKey, Upstream: emu.URL},
			Deps{Credentials: staticCreds(gatewayCreds), HTTPClient: &http.Client{}})
		if err != nil {
			t.Fatal(err)
		}
		rctx, rcancel := context.WithCancel(ctx)
		done := make(chan error, 1)
		go func() { done <- e.Run(rctx) }()
		return func() {
			rcancel()
			if err := <-done; err != nil {
				t.Errorf("Run: %v", err)
			}
		}
	}
	stop := start("a")
	pub, err := bus.NewPublisher(bcfg)
	if err != nil {
		t.Fatal(err)
	}
	defer pub.Close()
	write := func(env schemas.Envelope) {
		t.Helper()
		if err := pub.Publish(ctx, bus.Output{Topic: schemas.TopicDecisions, Envelope: env}); err != nil {
			t.Fatal(err)
		}
	}
	refused := func(id, kind string, n int) {
		t.Helper()
		waitFor(t, fmt.Sprintf("%d %s refusals of %s", n, kind, id), func() bool {
			got := 0
			for _, m := range security.of(id) {
				if r, err := schemas.DecodeAs[*schemas.SecurityRefused](m.Envelope); err == nil && r.Kind == kind && r.Stage == "executor" {
					got++
				}
			}
			return got == n
		})
	}
	count := func(id string, typ schemas.Type) int {
		n := 0
		for _, m := range execs.of(id) {
			if m.Envelope.Type == typ {
				n++
			}
		}
		return n
	}

	// The one authentic allow: it runs, once. Its agent waits 4 seconds.
	list := s3Request("GET", "/")
	list.Deadline = time.Now().Add(4 * time.Second)
	allow := envelope(t, "req-a", "decision", sealed(t, schemas.Allow, list, nil))
	write(allow)
	waitFor(t, "req-a to finish", func() bool { return count("req-a", schemas.TypeExecutionFinished) == 1 })
	if n := len(emu.Requests()); n != 1 {
		t.Fatalf("upstream saw %d calls, want 1", n)
	}

	// A replay of the same bytes within the deadline.
	write(allow)
	refused("req-a", schemas.SecurityReplayedEvent, 1)

	// The same decision rewrapped under another request id.
	rewrapped := allow
	rewrapped.ID, rewrapped.RequestID = "req-b/decision", "req-b"
	write(rewrapped)
	refused("req-b", schemas.SecurityForgedEvent, 1)

	// An allow nobody with the decision key wrote.
	forged := envelope(t, "req-c", "decision", sealed(t, schemas.Allow, s3Request("PUT", "/forged-bucket"), nil))
	forged.Auth = ""
	write(forged)
	refused("req-c", schemas.SecurityForgedEvent, 1)

	// An authentic allow that arrives after its agent stopped waiting.
	late := s3Request("PUT", "/late-bucket")
	late.Deadline = time.Now().Add(-time.Second)
	write(envelope(t, "req-late", "decision", sealed(t, schemas.Allow, late, nil)))
	refused("req-late", schemas.SecurityReplayedEvent, 1)
	waitFor(t, "req-late's one terminal outcome", func() bool { return count("req-late", schemas.TypeExecutionFinished) == 1 })

	// An execution.started nobody with the decision key wrote (to make the
	// executors refuse the real call as already run) is ignored: the
	// authentic decision that follows runs.
	fakeStart := envelope(t, "req-d", "started", &schemas.ExecutionStarted{Attempt: 1})
	fakeStart.Producer = "executor/attacker"
	if err := pub.Publish(ctx, bus.Output{Topic: schemas.TopicExecutions, Envelope: fakeStart}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the forged start on the executions topic", func() bool { return len(execs.of("req-d")) == 1 })
	time.Sleep(200 * time.Millisecond) // the executor's own tail reads it too
	blocked := s3Request("GET", "/")
	blocked.Deadline = time.Now().Add(4 * time.Second)
	write(envelope(t, "req-d", "decision", sealed(t, schemas.Allow, blocked, nil)))
	waitFor(t, "req-d to run despite the forged start", func() bool { return count("req-d", schemas.TypeExecutionFinished) == 1 })

	// A restarted executor (another replica of the group) rebuilds what ran
	// from the executions topic: the replay is refused again.
	stop()
	stop = start("b")
	defer stop()
	write(allow)
	refused("req-a", schemas.SecurityReplayedEvent, 2)

	// Past its deadline the replay is refused, and the request, which ran,
	// is not ended a second time.
	time.Sleep(time.Until(list.Deadline.Add(100 * time.Millisecond)))
	write(allow)
	refused("req-a", schemas.SecurityReplayedEvent, 3)

	for _, id := range []string{"req-b", "req-c"} {
		if n := len(execs.of(id)); n != 0 {
			t.Errorf("%s: %d execution events for a forged decision", id, n)
		}
	}
	if n, m := count("req-a", schemas.TypeExecutionStarted), count("req-a", schemas.TypeExecutionFinished); n != 1 || m != 1 {
		t.Errorf("req-a started %d and finished %d times, want once each", n, m)
	}
	if n := len(emu.Requests()); n != 2 {
		t.Fatalf("upstream saw %d calls, want only the two authentic allows", n)
	}
}
