package decider

import (
	"context"
	"errors"
	"net/http"
	"reflect"
	"regexp"
	"testing"
	"time"

	"github.com/jitgate/jitgate/internal/bus"
	"github.com/jitgate/jitgate/internal/holds"
	"github.com/jitgate/jitgate/schemas"
)

// held runs c through the decider and applies the hold it opens.
func held(t *testing.T, u *unit, c call) schemas.Envelope {
	t.Helper()
	in := received(t, c)
	outs := u.handle(t, schemas.TopicRequests, in)
	wantShape(t, outs, "decisions:decision.made", "holds:hold.opened")
	u.applyOuts(t, outs)
	return in
}

// event is an event of a hold, applied to the decider's view.
func (u *unit) event(t *testing.T, reqID string, at time.Time, p schemas.Payload) schemas.Envelope {
	t.Helper()
	env := envelope(t, reqID, at, p)
	u.apply(t, env)
	return env
}

func TestHoldEventNotYetAppliedWaits(t *testing.T) {
	u := newUnit(t, testPolicy)
	in := held(t, u, stopInst)
	cases := []struct {
		name string
		p    schemas.Payload
	}{
		{"approval.given", approval(alice)},
		{"hold.denied", &schemas.HoldDenied{By: alice, Reason: "no"}},
		{"hold.expired", &schemas.HoldExpired{}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			env := envelope(t, in.RequestID, t0.Add(time.Second), tc.p)
			res, err := u.d.Handle(context.Background(), bus.Message{Topic: schemas.TopicHolds, Envelope: env})
			if !errors.Is(err, bus.ErrNotReady) || len(res.Out) != 0 {
				t.Fatalf("got %s, %v; want no outputs and bus.ErrNotReady", shape(res.Out), err)
			}
		})
	}
}

func TestApprovalCompletesHoldOnce(t *testing.T) {
	cases := []struct {
		name    string
		now     time.Duration // decider clock after t0 when the deciding approval is handled
		waiting bool          // the agent still waits (now before its 30s deadline)
	}{
		{name: "agent waits", now: 10 * time.Second, waiting: true},
		{name: "at the deadline", now: 30 * time.Second, waiting: true},
		{name: "after the deadline", now: 31 * time.Second},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			u := newUnit(t, testPolicy)
			in := received(t, call{who: bot, service: "dynamodb", operation: "PutItem", params: `{"TableName":"orders"}`})
			hold := u.handle(t, schemas.TopicRequests, in)
			u.applyOuts(t, hold)
			u.clk.Set(t0.Add(tc.now))

			// The first of two approvals decides nothing.
			a1 := u.event(t, in.RequestID, t0.Add(5*time.Second), approval(alice))
			if outs := u.handle(t, schemas.TopicHolds, a1); len(outs) != 0 {
				t.Fatalf("first approval produced %s", shape(outs))
			}
			// The second completes it.
			at := t0.Add(6 * time.Second)
			a2 := u.event(t, in.RequestID, at, approval(bob))
			outs := u.handle(t, schemas.TopicHolds, a2)
			want := []string{"holds:hold.approved", "grants:grant.opened"}
			if tc.waiting {
				want = append(want, "decisions:decision.made")
			} else {
				// The agent was told its call awaits approval: its
				// request ends held, and the call does not run.
				want = append(want, "responses:response.ready")
			}
			wantShape(t, outs, want...)
			if !tc.waiting {
				resp := first[*schemas.ResponseReady](t, outs)
				if resp.Outcome != schemas.OutcomeHeld || resp.Error == nil || resp.Error.Code != "AccessDenied" {
					t.Fatalf("response %+v", resp)
				}
				mustContain(t, "message", resp.Error.Message, "approved by", "stopped waiting", "not run", in.RequestID)
			}

			approved := first[*schemas.HoldApproved](t, outs)
			g := first[*schemas.GrantOpened](t, outs)
			names := []string{"alice (" + iss + ")", "bob (" + iss + ")"}
			if !reflect.DeepEqual(approved.Approvers, names) || approved.GrantID != g.GrantID || g.GrantID == "" {
				t.Errorf("hold.approved %+v, grant %s", approved, g.GrantID)
			}
			if outs[0].Key != in.RequestID || outs[1].Key != g.GrantID {
				t.Errorf("keys %q %q, want the request id and the grant id", outs[0].Key, outs[1].Key)
			}
			if g.RequestID != in.RequestID || g.Principal.Subject != "bot" || g.Scope != "call" || g.Service != "dynamodb" ||
				g.Operation != "PutItem" || !g.Expires.Equal(at.Add(15*time.Minute)) || !reflect.DeepEqual(g.ApprovedBy, names) {
				t.Errorf("grant %+v", g)
			}
			if tc.waiting {
				dec := sealed(t, outs)
				orig := sealed(t, hold)
				if dec.Outcome != schemas.Allow || dec.Rule != "table-writes" || dec.Role != writerRole || dec.GrantID != g.GrantID {
					t.Errorf("decision %s rule %q role %q grant %q", dec.Outcome, dec.Rule, dec.Role, dec.GrantID)
				}
				if !reflect.DeepEqual(dec.Request, orig.Request) {
					t.Errorf("decision request %+v, want the held one %+v", dec.Request, orig.Request)
				}
				mustContain(t, "reason", dec.Reason, "approved by", names[0], names[1])
			}

			// The decider's outputs reach its view; neither a redelivery of
			// the deciding approval nor a later approval does anything more.
			u.applyOuts(t, outs)
			if h, _ := u.d.holds.Hold(in.RequestID); h.State != holds.StateApproved || h.GrantID != g.GrantID {
				t.Fatalf("hold %s grant %q after approval", h.State, h.GrantID)
			}
			if outs := u.handle(t, schemas.TopicHolds, a2); len(outs) != 0 {
				t.Errorf("redelivered approval produced %s", shape(outs))
			}
			a3 := u.event(t, in.RequestID, t0.Add(7*time.Second), approval(carol))
			if outs := u.handle(t, schemas.TopicHolds, a3); len(outs) != 0 {
				t.Errorf("late approval produced %s", shape(outs))
			}
		})
	}
}

// A call whose body travels in chunks cannot be pinned by a call grant:
// approving it runs the held call once (its decision still locates the
// body) and opens no grant that a different body could use.
func TestApprovedChunkedCallRunsOnceWithoutGrant(t *testing.T) {
	u := newUnit(t, testPolicy)
	in := received(t, call{who: bot, service: "dynamodb", operation: "PutItem", params: `{"TableName":"orders"}`, chunks: 4})
	hold := u.handle(t, schemas.TopicRequests, in)
	u.applyOuts(t, hold)
	u.clk.Set(t0.Add(10 * time.Second))
	if outs := u.handle(t, schemas.TopicHolds, u.event(t, in.RequestID, t0.Add(5*time.Second), approval(alice))); len(outs) != 0 {
		t.Fatalf("first approval produced %s", shape(outs))
	}
	outs := u.handle(t, schemas.TopicHolds, u.event(t, in.RequestID, t0.Add(6*time.Second), approval(bob)))
	wantShape(t, outs, "holds:hold.approved", "decisions:decision.made")
	dec, orig := sealed(t, outs), sealed(t, hold)
	if dec.Outcome != schemas.Allow || dec.GrantID != "" {
		t.Errorf("decision %s grant %q, want allow without a grant", dec.Outcome, dec.GrantID)
	}
	if dec.Body == nil || orig.Body == nil || *dec.Body != *orig.Body {
		t.Errorf("decision body %+v, want the held request's %+v", dec.Body, orig.Body)
	}
}

func TestApprovalsThatDoNotCount(t *testing.T) {
	cases := []struct {
		name string
		by   schemas.Principal
	}{
		{"self approval", bot},
		{"not an approver", mallory},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			u := newUnit(t, testPolicy)
			in := held(t, u, stopInst) // needs one approval
			a := u.event(t, in.RequestID, t0.Add(time.Second), approval(tc.by))
			if outs := u.handle(t, schemas.TopicHolds, a); len(outs) != 0 {
				t.Fatalf("approval by %s produced %s", tc.by.Subject, shape(outs))
			}
			if h, _ := u.d.holds.Hold(in.RequestID); h.State != holds.StatePending {
				t.Fatalf("hold %s", h.State)
			}
		})
	}
}

func TestApprovalWithoutGrantRunsHeldCallOnce(t *testing.T) {
	u := newUnit(t, testPolicy)
	in := held(t, u, stopInst)
	a := u.event(t, in.RequestID, t0.Add(time.Second), approval(alice))
	outs := u.handle(t, schemas.TopicHolds, a)
	wantShape(t, outs, "holds:hold.approved", "decisions:decision.made")
	if ap := first[*schemas.HoldApproved](t, outs); ap.GrantID != "" {
		t.Errorf("hold.approved names grant %q for a rule without grants", ap.GrantID)
	}
	dec := sealed(t, outs)
	if dec.Outcome != schemas.Allow || dec.Rule != "stop-instances" || dec.Role != stopRole || dec.GrantID != "" || dec.Body != nil {
		t.Errorf("decision %+v", dec)
	}
	u.applyOuts(t, outs)
	if outs := u.handle(t, schemas.TopicHolds, a); len(outs) != 0 {
		t.Errorf("redelivered approval produced %s", shape(outs))
	}
}

func TestHoldEndsAnswerWaitingAgent(t *testing.T) {
	cases := []struct {
		name    string
		now     time.Duration // decider clock after t0
		p       schemas.Payload
		outcome string   // of the response.ready that ends the request
		want    []string // its AccessDenied message contains these
	}{
		{name: "denied while waiting", now: 10 * time.Second, p: &schemas.HoldDenied{By: alice, Reason: "not during the freeze"},
			outcome: schemas.OutcomeDenied, want: []string{"denied by alice (" + iss + ")", "not during the freeze", "ec2:StopInstances"}},
		{name: "denied after the deadline", now: time.Minute, p: &schemas.HoldDenied{By: alice, Reason: "no"},
			outcome: schemas.OutcomeHeld, want: []string{"denied by alice (" + iss + ")", "stopped waiting", "not run"}},
		{name: "expired while waiting", now: 10 * time.Second, p: &schemas.HoldExpired{},
			outcome: schemas.OutcomeDenied, want: []string{"expired", "ec2:StopInstances"}},
		{name: "expired after the deadline", now: 10 * time.Minute, p: &schemas.HoldExpired{},
			outcome: schemas.OutcomeHeld, want: []string{"expired", "stopped waiting", "not run"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			u := newUnit(t, testPolicy)
			in := held(t, u, stopInst)
			u.clk.Set(t0.Add(tc.now))
			ev := u.event(t, in.RequestID, t0.Add(2*time.Second), tc.p)
			outs := u.handle(t, schemas.TopicHolds, ev)
			wantShape(t, outs, "responses:response.ready")
			resp := first[*schemas.ResponseReady](t, outs)
			if outs[0].ReplyTo != replica || resp.ReplyTo != replica || outs[0].Envelope.RequestID != in.RequestID {
				t.Errorf("reply-to %q / %q, request %q", outs[0].ReplyTo, resp.ReplyTo, outs[0].Envelope.RequestID)
			}
			if resp.Outcome != tc.outcome || resp.Error == nil || resp.Error.Status != http.StatusForbidden || resp.Error.Code != "AccessDenied" {
				t.Fatalf("response %+v", resp)
			}
			mustContain(t, "message", resp.Error.Message, append(tc.want, in.RequestID)...)
		})
	}
}

// TestHoldEndsAnswerOnce: only the event that ended the hold answers the
// agent. A second denial, a second expiry (two deciders both saw it due),
// or an expiry recorded after the approval must not send another answer.
func TestHoldEndsAnswerOnce(t *testing.T) {
	cases := []struct {
		name  string
		first schemas.Payload
		then  schemas.Payload
		want  int // outputs for the first event
	}{
		{"second denial", &schemas.HoldDenied{By: alice, Reason: "no"}, &schemas.HoldDenied{By: bob, Reason: "no either"}, 1},
		{"second expiry", &schemas.HoldExpired{}, &schemas.HoldExpired{}, 1},
		{"expiry after the approval", approval(alice), &schemas.HoldExpired{}, 2},
		{"denial after the approval", approval(alice), &schemas.HoldDenied{By: bob, Reason: "too late"}, 2},
		{"expiry after a denial", &schemas.HoldDenied{By: alice, Reason: "no"}, &schemas.HoldExpired{}, 1},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			u := newUnit(t, testPolicy)
			in := held(t, u, stopInst)
			u.clk.Set(t0.Add(5 * time.Second))
			e1 := u.event(t, in.RequestID, t0.Add(time.Second), tc.first)
			outs := u.handle(t, schemas.TopicHolds, e1)
			if len(outs) != tc.want {
				t.Fatalf("first event: outputs %s", shape(outs))
			}
			u.applyOuts(t, outs)
			e2 := u.event(t, in.RequestID, t0.Add(2*time.Second), tc.then)
			if outs := u.handle(t, schemas.TopicHolds, e2); len(outs) != 0 {
				t.Fatalf("second event: outputs %s; the agent was already answered", shape(outs))
			}
		})
	}
}

// TestHoldEndedTwiceAnswersWithOneEvent: the same hold.expired (or
// hold.denied) handled twice (two decider replicas both recorded the
// expiry, as the same event; a redelivery) answers with the same
// response.ready both times, so the audit log keeps one terminal outcome.
// Found by internal/faulttest's held load: expired holds ended with two.
func TestHoldEndedTwiceAnswersWithOneEvent(t *testing.T) {
	cases := []struct {
		name string
		p    schemas.Payload
	}{
		{"expiry", &schemas.HoldExpired{}},
		{"denial", &schemas.HoldDenied{By: alice, Reason: "no"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			u := newUnit(t, testPolicy)
			in := held(t, u, stopInst)
			u.clk.Set(t0.Add(5 * time.Second))
			ev := u.event(t, in.RequestID, t0.Add(time.Second), tc.p)
			first := u.handle(t, schemas.TopicHolds, ev)
			u.clk.Set(t0.Add(6 * time.Second))
			again := u.handle(t, schemas.TopicHolds, ev)
			wantShape(t, first, "responses:response.ready")
			wantShape(t, again, "responses:response.ready")
			a, b := first[0].Envelope, again[0].Envelope
			if a.ID != b.ID || !a.Time.Equal(b.Time) {
				t.Errorf("answered as %s at %s, then as %s at %s; want one event", a.ID, a.Time, b.ID, b.Time)
			}
		})
	}
}

func TestHoldEventForUnknownHoldIgnored(t *testing.T) {
	u := newUnit(t, testPolicy)
	// Applied (seen) but the store never saw the hold open.
	env := u.event(t, "no-such-request", t0, approval(alice))
	if outs := u.handle(t, schemas.TopicHolds, env); len(outs) != 0 {
		t.Fatalf("outputs %s", shape(outs))
	}
}

// TestRacingReplayOpensOneGrant: an approval redelivered before the first
// hold.approved reached the view answers with the same event and grant
// ids, so every view keeps one grant, and revoking it closes the access.
func TestRacingReplayOpensOneGrant(t *testing.T) {
	u := newUnit(t, testPolicy)
	in := held(t, u, putItem)
	u.event(t, in.RequestID, t0.Add(time.Second), approval(alice))
	a2 := u.event(t, in.RequestID, t0.Add(2*time.Second), approval(bob))
	first1 := u.handle(t, schemas.TopicHolds, a2)
	again := u.handle(t, schemas.TopicHolds, a2)
	wantShape(t, again, "holds:hold.approved", "grants:grant.opened", "decisions:decision.made")
	if first1[0].Envelope.ID != again[0].Envelope.ID {
		t.Errorf("hold.approved ids %s and %s differ", first1[0].Envelope.ID, again[0].Envelope.ID)
	}
	g1, g2 := first[*schemas.GrantOpened](t, first1), first[*schemas.GrantOpened](t, again)
	if g1.GrantID != g2.GrantID {
		t.Fatalf("grants %s and %s for one approval", g1.GrantID, g2.GrantID)
	}
	u.applyOuts(t, first1)
	u.applyOuts(t, again)
	if gs := u.d.holds.Grants(t0.Add(time.Minute)); len(gs) != 1 {
		t.Fatalf("%d active grants, want 1", len(gs))
	}
	u.apply(t, envelope(t, in.RequestID, t0.Add(time.Minute), &schemas.GrantRevoked{GrantID: g1.GrantID, By: alice}))
	u.clk.Set(t0.Add(2 * time.Minute))
	if dec := sealed(t, u.handle(t, schemas.TopicRequests, receivedAt(t, putItem, u.clk.Now()))); dec.GrantID != "" || dec.Outcome != schemas.Hold {
		t.Fatalf("after revoking, decision %s through grant %q", dec.Outcome, dec.GrantID)
	}
}

func TestAnswerID(t *testing.T) {
	re := regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)
	a, b, c := answerID("hold.approved", "e1"), answerID("grant.opened", "e1"), answerID("hold.approved", "e2")
	for _, id := range []string{a, b, c} {
		if !re.MatchString(id) {
			t.Errorf("%q is not UUID-shaped", id)
		}
	}
	if a == b || a == c || b == c || a != answerID("hold.approved", "e1") {
		t.Errorf("ids %s %s %s", a, b, c)
	}
}
