package executor

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jitgate/jitgate/internal/bus"
	"github.com/jitgate/jitgate/schemas"
)

// published captures what recovery publishes.
type published struct {
	mu   sync.Mutex
	outs []bus.Output
}

func (p *published) publish(_ context.Context, outs ...bus.Output) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.outs = append(p.outs, outs...)
	return nil
}

// take decodes and forgets what was published.
func (p *published) take(t *testing.T) (started []*schemas.ExecutionStarted, finished []*schemas.ExecutionFinished, envs []schemas.Envelope) {
	t.Helper()
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, o := range p.outs {
		if o.Topic != schemas.TopicExecutions || o.Key != o.Envelope.RequestID {
			t.Fatalf("published %s on %s keyed %q", o.Envelope.Type, o.Topic, o.Key)
		}
		switch pl, _ := o.Envelope.Decode(); v := pl.(type) {
		case *schemas.ExecutionStarted:
			started = append(started, v)
		case *schemas.ExecutionFinished:
			finished = append(finished, v)
			envs = append(envs, o.Envelope)
		default:
			t.Fatalf("published %T", pl)
		}
	}
	p.outs = nil
	return started, finished, envs
}

// recoveryUnit is a unit executor whose recovery publishes into pub, on a
// clock the test moves.
func recoveryUnit(t *testing.T, instance string, clock *time.Time) (*Executor, *fakeAWS, *published) {
	t.Helper()
	cfg := unitConfig()
	cfg.Instance = instance
	e, f, _ := newUnit(t, cfg, Deps{})
	e.now = func() time.Time { return *clock }
	pub := &published{}
	e.publish = pub.publish
	return e, f, pub
}

// startedRecord is the execution.started record of request id as an
// executor (producer) sealed it at at, as the executions tail reads it.
func startedRecord(t *testing.T, id, producer string, at time.Time, s schemas.ExecutionStarted) bus.Message {
	t.Helper()
	if s.Attempt == 0 {
		s.Attempt = 1
	}
	s.ReplyTo, s.Service, s.Operation, s.Protocol = "ingress-1", "s3", "Op", "rest-xml"
	env, err := schemas.NewEnvelope(id+"/execution.started/0", id, producer, at, &s)
	if err != nil {
		t.Fatal(err)
	}
	if err := schemas.Seal(&env, decisionKey); err != nil {
		t.Fatal(err)
	}
	return bus.Message{Topic: schemas.TopicExecutions, Partition: 3, Envelope: env}
}

func ownsAll(string, int32) bool  { return true }
func ownsNone(string, int32) bool { return false }

// TestRecoveryOfAbandonedCalls: a call whose execution.started committed
// and whose execution.finished never came ends exactly once: as
// outcome-unknown when it may have changed something, with one retry when
// it is read-only or carries an idempotency token and its agent still
// waits, and not at all while its executor may still be running it.
func TestRecoveryOfAbandonedCalls(t *testing.T) {
	t0 := time.Date(2026, 5, 6, 7, 8, 9, 0, time.UTC)
	bound := DefaultTimeout + DefaultRecoverMargin
	decisionRef := &schemas.RecordRef{Topic: "jitgate.decisions", Partition: 3, Offset: 42}
	tests := []struct {
		name     string
		producer string // "" means this executor's own instance
		readOnly bool
		token    string // the request's idempotency token
		attempt  int
		deadline time.Duration // from t0
		noRef    bool
		mine     string // "running" or "returned": this process started it
		owns     func(string, int32) bool
		unread   bool // the decision record cannot be read
		finished bool // its execution.finished was read
		later    time.Duration
		want     action
		wantWhy  string // in the outcome-unknown's error
	}{
		{name: "another replica's call within the bound", producer: "executor/other", later: bound - time.Second, want: leave},
		{name: "another replica's call past the bound", producer: "executor/other", later: bound + time.Second, want: unknown},
		{name: "an earlier process with this instance", later: time.Second, want: unknown},
		{name: "running in this process, long past the bound", mine: "running", later: 10 * bound, want: leave},
		{name: "returned in this process, outcome not seen, within the bound", mine: "returned", later: time.Second, want: leave},
		{name: "returned in this process, outcome never seen", mine: "returned", later: bound + time.Second, want: unknown},
		{name: "partition owned by another replica", later: bound + time.Second, owns: ownsNone, want: leave},
		{name: "finished after all", producer: "executor/other", finished: true, later: bound + time.Second, want: leave},
		{name: "read-only, agent still waiting", readOnly: true, deadline: 20 * time.Second, later: time.Second, want: retry},
		{name: "read-only, deadline passed", readOnly: true, deadline: 20 * time.Second, later: 21 * time.Second, want: unknown},
		{name: "read-only, its retry was cut short too", readOnly: true, attempt: 2, deadline: 20 * time.Second, later: time.Second, want: unknown},
		{name: "read-only, started before recovery existed", readOnly: true, noRef: true, deadline: 20 * time.Second, later: time.Second, want: unknown},
		{name: "write with an idempotency token, agent still waiting", token: "tok-1", deadline: 20 * time.Second, later: time.Second, want: retry},
		{name: "write without a token", deadline: 20 * time.Second, later: time.Second, want: unknown},
		{name: "write with a token, deadline passed", token: "tok-1", deadline: 20 * time.Second, later: 21 * time.Second, want: unknown},
		{name: "write with a token, its retry was cut short too", token: "tok-1", attempt: 2, deadline: 20 * time.Second, later: time.Second, want: unknown},
		{name: "write with a token, decision unreadable", token: "tok-1", unread: true, deadline: 20 * time.Second, later: time.Second, want: unknown,
			wantWhy: "not retried: its decision could not be read again"},
		{name: "read-only, decision unreadable", readOnly: true, unread: true, deadline: 20 * time.Second, later: time.Second, want: unknown,
			wantWhy: "not retried: its decision could not be read again"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			clock := t0
			e, f, pub := recoveryUnit(t, "a", &clock)
			producer := tc.producer
			if producer == "" {
				producer = e.producer
			}
			s := schemas.ExecutionStarted{Attempt: tc.attempt, ReadOnly: tc.readOnly, IdempotencyToken: tc.token, Deadline: t0.Add(tc.deadline), Decision: decisionRef}
			if tc.noRef {
				s.Decision = nil
			}
			req := s3Request("GET", "/bucket")
			if tc.token != "" {
				req = s3Request("PUT", "/bucket/key", "x-amz-client-token", tc.token)
				req.HTTP.SignedHeaders = append(req.HTTP.SignedHeaders, "x-amz-client-token")
			}
			req.ReadOnly, req.IdempotencyToken, req.Deadline = tc.readOnly, tc.token, s.Deadline
			e.readDecision = func(_ context.Context, ref schemas.RecordRef, id string) (*schemas.DecisionMade, error) {
				if tc.unread {
					return nil, bus.ErrRecordGone
				}
				if ref != *decisionRef || id != "req-1" {
					t.Errorf("read decision %+v for %s", ref, id)
				}
				return sealed(t, schemas.Allow, req, func(d *schemas.DecisionMade) { d.RequestID = id }), nil
			}
			if tc.mine != "" {
				e.calls.begin("req-1", t0)
				if tc.mine == "returned" {
					e.calls.end("req-1")
				}
			}
			e.seeStarted(startedRecord(t, "req-1", producer, t0, s))
			if tc.finished {
				e.calls.finished("req-1")
			}
			owns := tc.owns
			if owns == nil {
				owns = ownsAll
			}
			clock = t0.Add(tc.later)
			for range 3 { // later rounds find it being resolved: once, not thrice
				e.recoverOnce(context.Background(), owns)
				e.retries.Wait()
			}
			started, finished, envs := pub.take(t)
			switch tc.want {
			case leave:
				if len(started)+len(finished) != 0 || len(f.reqs) != 0 {
					t.Fatalf("left alone, yet published %d started, %d finished, called %d times", len(started), len(finished), len(f.reqs))
				}
			case unknown:
				if len(finished) != 1 || len(started) != 0 || len(f.reqs) != 0 {
					t.Fatalf("published %d started, %d finished, called %d times; want one outcome-unknown", len(started), len(finished), len(f.reqs))
				}
				fin, env := finished[0], envs[0]
				if fin.ErrorKind != schemas.ErrorOutcomeUnknown || !strings.Contains(fin.Error, "req-1") || !strings.Contains(fin.Error, tc.wantWhy) ||
					fin.ReplyTo != "ingress-1" || fin.Service != "s3" || fin.Protocol != "rest-xml" {
					t.Fatalf("finished %+v", fin)
				}
				if env.ID != "req-1/execution.finished/unknown" || !env.Time.Equal(t0.Add(time.Microsecond)) {
					t.Errorf("event id %q at %v: both must derive from the start", env.ID, env.Time)
				}
			case retry:
				if len(started) != 1 || len(finished) != 1 || len(f.reqs) != 1 {
					t.Fatalf("published %d started, %d finished, called %d times; want one retry", len(started), len(finished), len(f.reqs))
				}
				if st := started[0]; st.Attempt != 2 || st.ReadOnly != tc.readOnly || st.IdempotencyToken != tc.token ||
					st.Decision == nil || *st.Decision != *decisionRef {
					t.Errorf("retry started %+v", st)
				}
				if fin := finished[0]; fin.Error != "" || fin.Response.Status != 200 {
					t.Errorf("retry finished %+v", fin)
				}
				// Its own id: attempt 1's execution.finished, should it
				// turn up after all, is another event.
				if id := envs[0].ID; id != "req-1/execution.finished/0/attempt-2" {
					t.Errorf("retry's execution.finished id %q, want req-1/execution.finished/0/attempt-2", id)
				}
				if tc.token != "" {
					// The same bytes again: the same token, so AWS runs it once.
					if r := f.reqs[0]; r.Method != "PUT" || r.Header.Get("X-Amz-Client-Token") != tc.token {
						t.Errorf("retry sent %s with token %q, want PUT with %q", r.Method, r.Header.Get("X-Amz-Client-Token"), tc.token)
					}
				}
			}
		})
	}
}

// TestRecoveryLeavesCallsInFlight: a call this executor is running is never
// taken for abandoned, from before its start commits until its outcome is
// read back; only once it returned and its outcome never showed up does
// the time bound apply.
func TestRecoveryLeavesCallsInFlight(t *testing.T) {
	clock := time.Now()
	e, _, pub := recoveryUnit(t, "a", &clock)
	req := s3Request("PUT", "/bucket")
	req.Deadline = clock.Add(20 * time.Second)
	res, err := e.Handle(context.Background(), message(t, "req-1", sealed(t, schemas.Allow, req, nil)))
	if err != nil || res.After == nil || len(res.Out) != 1 {
		t.Fatalf("Handle: %d outputs, after %v, err %v", len(res.Out), res.After != nil, err)
	}
	st, err := schemas.DecodeAs[*schemas.ExecutionStarted](res.Out[0].Envelope)
	if err != nil {
		t.Fatal(err)
	}
	if st.Decision == nil || st.Service != "s3" || !st.Deadline.Equal(req.Deadline) {
		t.Fatalf("execution.started %+v does not carry what recovery needs", st)
	}
	e.seeStarted(bus.Message{Topic: schemas.TopicExecutions, Envelope: res.Out[0].Envelope})
	start := clock
	clock = start.Add(10 * (DefaultTimeout + DefaultRecoverMargin))
	e.recoverOnce(context.Background(), ownsAll)
	if _, fin, _ := pub.take(t); len(fin) != 0 {
		t.Fatalf("a call in flight here was ended: %+v", fin[0])
	}
	outs := res.After(context.Background()) // the call returns; its outcome is on its way
	if len(outs) != 1 {
		t.Fatalf("the call produced %d outputs", len(outs))
	}
	e.recoverOnce(context.Background(), ownsAll)
	if _, fin, _ := pub.take(t); len(fin) != 1 || fin[0].ErrorKind != schemas.ErrorOutcomeUnknown {
		t.Fatalf("a returned call whose outcome never showed up: %d finished, want one outcome-unknown", len(fin))
	}
}

// TestTwoReplicasResolveOnce: only the replica owning the request's
// decisions partition resolves it; if two believe they own it (around a
// rebalance), they write the same event (id and time), which the log keeps
// once.
func TestTwoReplicasResolveOnce(t *testing.T) {
	t0 := time.Now().Add(-time.Hour)
	clock := t0.Add(DefaultTimeout + DefaultRecoverMargin + time.Second)
	a, _, pubA := recoveryUnit(t, "a", &clock)
	b, _, pubB := recoveryUnit(t, "b", &clock)
	rec := startedRecord(t, "req-1", "executor/gone", t0, schemas.ExecutionStarted{Decision: &schemas.RecordRef{Topic: "jitgate.decisions", Partition: 5}})
	ownsFive := func(topic string, p int32) bool { return topic == schemas.TopicDecisions && p == 5 }
	for _, tc := range []struct {
		name         string
		ownsA, ownsB func(string, int32) bool
		wantA, wantB int
	}{
		{"one owner", ownsFive, ownsNone, 1, 0},
		{"the other owner", ownsNone, ownsFive, 0, 1},
		{"ownership overlaps", ownsFive, ownsFive, 1, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for _, e := range []*Executor{a, b} {
				e.calls = newCalls()
				e.seeStarted(rec)
			}
			a.recoverOnce(context.Background(), tc.ownsA)
			b.recoverOnce(context.Background(), tc.ownsB)
			_, finA, envA := pubA.take(t)
			_, finB, envB := pubB.take(t)
			if len(finA) != tc.wantA || len(finB) != tc.wantB {
				t.Fatalf("replica a wrote %d, b wrote %d; want %d and %d", len(finA), len(finB), tc.wantA, tc.wantB)
			}
			if len(envA) == 1 && len(envB) == 1 && (envA[0].ID != envB[0].ID || !envA[0].Time.Equal(envB[0].Time)) {
				t.Errorf("two replicas wrote %q@%v and %q@%v: not one event", envA[0].ID, envA[0].Time, envB[0].ID, envB[0].Time)
			}
		})
	}
}

// TestRetriedDecisionIsChecked: the decision record a retry reads again
// must be sealed, for this request, an allow, and read-only or carrying an
// idempotency token.
func TestRetriedDecisionIsChecked(t *testing.T) {
	req := s3Request("GET", "/")
	req.ReadOnly = true
	tests := []struct {
		name string
		id   string
		edit func(*schemas.DecisionMade, *schemas.Envelope)
		ok   bool
	}{
		{name: "authentic", id: "req-1", ok: true},
		{name: "another request", id: "req-2"},
		{name: "not sealed", id: "req-1", edit: func(_ *schemas.DecisionMade, env *schemas.Envelope) { env.Auth = "" }},
		{name: "not read-only", id: "req-1", edit: func(d *schemas.DecisionMade, _ *schemas.Envelope) { d.Request.ReadOnly = false }},
		{name: "a write with an idempotency token", id: "req-1", ok: true, edit: func(d *schemas.DecisionMade, _ *schemas.Envelope) {
			d.Request.ReadOnly, d.Request.IdempotencyToken = false, "tok-1"
		}},
		{name: "a deny", id: "req-1", edit: func(d *schemas.DecisionMade, _ *schemas.Envelope) { d.Outcome = schemas.Deny }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			d := sealed(t, schemas.Allow, req, nil)
			d.RequestID = "req-1"
			if tc.edit != nil {
				tc.edit(d, &schemas.Envelope{})
			}
			env := message(t, "req-1", d).Envelope
			if tc.edit != nil {
				tc.edit(&schemas.DecisionMade{}, &env)
			}
			_, err := checkDecision(env, decisionKey, tc.id)
			if (err == nil) != tc.ok {
				t.Fatalf("err %v, want ok %v", err, tc.ok)
			}
			if tc.name == "not sealed" && !errors.Is(err, ErrForged) {
				t.Errorf("err %v, want ErrForged", err)
			}
		})
	}
}
