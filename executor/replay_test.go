package executor

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/jitgate/jitgate/schemas"
)

// TestEachRequestRunsAtMostOnceAndInTime: an authentic allow decision
// replayed on Kafka (the same bytes as a new record) never runs a second
// time, nor after its deadline; each refusal is a security event, and a
// request that never ran still gets one terminal outcome.
func TestEachRequestRunsAtMostOnceAndInTime(t *testing.T) {
	t0 := time.Now()
	tests := []struct {
		name       string
		deadline   time.Duration // from t0; the decision is handled at t0 then at t0+later
		noDeadline bool
		first      bool // the first copy is handled (and runs)
		later      time.Duration
		// what the (second) copy produces
		wantRun      bool
		wantFinished error // an execution.finished carrying this error
		wantRefused  string
	}{
		{name: "first copy runs", deadline: 20 * time.Second, wantRun: true},
		{name: "replay within the deadline", deadline: 20 * time.Second, first: true, later: time.Second, wantRefused: schemas.SecurityReplayedEvent},
		{name: "replay past the deadline", deadline: 20 * time.Second, first: true, later: 21 * time.Second, wantRefused: schemas.SecurityReplayedEvent},
		{name: "never ran, past the deadline", deadline: -time.Second, wantFinished: ErrPastDeadline, wantRefused: schemas.SecurityReplayedEvent},
		{name: "no deadline at all", noDeadline: true, wantFinished: ErrPastDeadline, wantRefused: schemas.SecurityReplayedEvent},
		{name: "deadline beyond the replay window", deadline: DefaultMaxWait + replayMargin + time.Second, wantFinished: ErrDeadlineTooFar},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e, f, _ := newUnit(t, unitConfig(), Deps{})
			clock := t0
			e.now = func() time.Time { return clock }
			req := s3Request("GET", "/")
			req.Deadline = t0.Add(tc.deadline)
			if tc.noDeadline {
				req.Deadline = time.Time{}
			}
			first := message(t, "req-1", sealed(t, schemas.Allow, req, nil))
			calls := 0
			if tc.first {
				if o := run(t, e, first); len(o.started) != 1 || len(f.reqs) != 1 {
					t.Fatalf("first copy: started %d calls %d", len(o.started), len(f.reqs))
				}
				calls = 1
			}
			clock = t0.Add(tc.later)
			replay := first
			replay.Offset = offsets.Add(1) // the same bytes, written again
			o := run(t, e, replay)
			if ran := len(f.reqs) > calls; ran != tc.wantRun || (len(o.started) == 1) != tc.wantRun {
				t.Fatalf("ran %v (started %d), want %v", ran, len(o.started), tc.wantRun)
			}
			switch {
			case tc.wantFinished != nil:
				if len(o.finished) != 1 || !strings.Contains(o.finished[0].Error, tc.wantFinished.Error()) || o.finished[0].ReplyTo != "ingress-1" {
					t.Fatalf("finished %+v, want one with %v", o.finished, tc.wantFinished)
				}
			case !tc.wantRun && len(o.finished) != 0:
				t.Fatalf("a refused replay of a request that ran ended it again: %+v", o.finished[0])
			}
			if tc.wantRefused == "" {
				if len(o.refused) != 0 {
					t.Fatalf("refused %+v", o.refused[0])
				}
				return
			}
			if len(o.refused) != 1 || o.refused[0].Kind != tc.wantRefused || o.refused[0].Offset != replay.Offset {
				t.Fatalf("refused %+v, want one %s naming offset %d", o.refused, tc.wantRefused, replay.Offset)
			}
		})
	}
}

// TestRedeliveredRecordRunsOnce: the same decision record handled again
// (its batch aborted before the call ran) is not a replay; once the call's
// execution.started is read back from the topic, it is.
func TestRedeliveredRecordRunsOnce(t *testing.T) {
	e, _, _ := newUnit(t, unitConfig(), Deps{})
	m := message(t, "req-1", sealed(t, schemas.Allow, s3Request("GET", "/"), nil))
	for i := range 2 {
		res, err := e.Handle(context.Background(), m)
		if err != nil || res.After == nil {
			t.Fatalf("handling %d of the same record: after %v, err %v", i+1, res.After != nil, err)
		}
	}
	e.done.learn("req-1", time.Now().Add(time.Minute))
	res, err := e.Handle(context.Background(), m)
	if err != nil || res.After != nil {
		t.Fatalf("the record once its start was committed: after %v, err %v", res.After != nil, err)
	}
}

// TestRedeliveredPastItsDeadlineEndsOnce: a decision record whose first
// handling aborted (its claim's transaction never committed, so the call
// never ran) and that comes back after its deadline, as after a broker
// restart, ends its request with one execution.finished saying it did not
// run, instead of being taken for a replay and left with no outcome.
func TestRedeliveredPastItsDeadlineEndsOnce(t *testing.T) {
	e, f, _ := newUnit(t, unitConfig(), Deps{})
	t0 := time.Now()
	clock := t0
	e.now = func() time.Time { return clock }
	req := s3Request("PUT", "/bucket/key")
	req.Deadline = t0.Add(10 * time.Second)
	m := message(t, "req-1", sealed(t, schemas.Allow, req, nil))
	if res, err := e.Handle(context.Background(), m); err != nil || res.After == nil {
		t.Fatalf("first handling: after %v, err %v", res.After != nil, err)
	} // its transaction aborts: After never runs
	clock = t0.Add(15 * time.Second)
	o := run(t, e, m)
	if len(f.reqs) != 0 || len(o.started) != 0 {
		t.Fatalf("ran after the deadline: calls %d, started %d", len(f.reqs), len(o.started))
	}
	if len(o.finished) != 1 || !strings.Contains(o.finished[0].Error, ErrPastDeadline.Error()) {
		t.Fatalf("finished %+v, want one execution.finished with %v", o.finished, ErrPastDeadline)
	}
}

// TestStartsOfOthersAreRefused: a request id another replica started (read
// from the executions topic) does not run here.
func TestStartsOfOthersAreRefused(t *testing.T) {
	e, f, _ := newUnit(t, unitConfig(), Deps{})
	e.done.learn("req-1", time.Now().Add(time.Minute))
	o := run(t, e, message(t, "req-1", sealed(t, schemas.Allow, s3Request("GET", "/"), nil)))
	if len(f.reqs) != 0 || len(o.started) != 0 || len(o.refused) != 1 || o.refused[0].Kind != schemas.SecurityReplayedEvent {
		t.Fatalf("calls %d started %d refused %+v", len(f.reqs), len(o.started), o.refused)
	}
	if !strings.Contains(o.refused[0].Reason, ErrReplayed.Error()) {
		t.Fatalf("reason %q", o.refused[0].Reason)
	}
}
