package masker

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/jitgate/jitgate/internal/bus"
	"github.com/jitgate/jitgate/schemas"
)

// TestOutcomeUnknownAnswer: the executor's outcome-unknown
// execution.finished becomes an error that says the outcome is unknown,
// names the request and tells the agent to check before retrying, with a
// status no SDK retries by itself; two copies of it (two executor replicas
// resolved the call) make the same response.ready.
func TestOutcomeUnknownAnswer(t *testing.T) {
	k := newMasker(t, bus.Config{})
	fin := &schemas.ExecutionFinished{ReplyTo: "ingress-1", Service: "dynamodb", Operation: "PutItem", Protocol: "json",
		Error: "the outcome of this call is unknown", ErrorKind: schemas.ErrorOutcomeUnknown}
	at := time.Date(2026, 5, 6, 7, 8, 9, 1000, time.UTC)
	msg := func() bus.Message {
		env, err := schemas.NewEnvelope("req-1/execution.finished/unknown", "req-1", "executor/a", at, fin)
		if err != nil {
			t.Fatal(err)
		}
		return bus.Message{Topic: schemas.TopicExecutions, Envelope: env}
	}
	var ids []string
	for range 2 {
		res, err := k.Handle(context.Background(), msg())
		if err != nil {
			t.Fatal(err)
		}
		if len(res.Out) != 1 {
			t.Fatalf("%d outputs, want one response.ready", len(res.Out))
		}
		r := ready(t, res)
		e := r.Error
		switch {
		case r.Outcome != schemas.OutcomeUnknown || e == nil || r.Response != nil:
			t.Fatalf("outcome %q error %+v response %v", r.Outcome, e, r.Response)
		case e.Status != 409 || e.Code != "OutcomeUnknown":
			t.Errorf("status %d code %q; want 409 OutcomeUnknown (no SDK retries it)", e.Status, e.Code)
		}
		for _, want := range []string{"req-1", "may or may not have taken effect", "before you retry"} {
			if !strings.Contains(e.Message, want) {
				t.Errorf("message %q lacks %q", e.Message, want)
			}
		}
		if want := at.Add(time.Microsecond); !res.Out[0].Envelope.Time.Equal(want) {
			t.Errorf("response.ready at %v, want the finished event's time plus 1µs, %v", res.Out[0].Envelope.Time, want)
		}
		ids = append(ids, res.Out[0].Envelope.ID)
	}
	if ids[0] != ids[1] {
		t.Errorf("two copies of one outcome-unknown made response.ready %q and %q", ids[0], ids[1])
	}

	// An ordinary transport error is not taken for an unknown outcome.
	fin.ErrorKind = ""
	res, err := k.Handle(context.Background(), msg())
	if err != nil {
		t.Fatal(err)
	}
	if r := ready(t, res); r.Outcome != schemas.OutcomeError || r.Error.Code == "OutcomeUnknown" {
		t.Errorf("transport error answered as %q %+v", r.Outcome, r.Error)
	}
}
