package recorder

import (
	"fmt"
	"testing"
	"time"

	"github.com/jitgate/jitgate/internal/audit"
	"github.com/jitgate/jitgate/schemas"
)

// TestRequestsViewHoldEndsInLogOrder: the requests view (and audit.Recent)
// end a hold as the holds view does, by its first ending event in log
// order, not by the latest by time: an approval whose call ran stays
// approved when a lagging replica's hold.expired follows it, though the
// expiry is stamped later.
func TestRequestsViewHoldEndsInLogOrder(t *testing.T) {
	r, ac := newTestRecorder(t, DefaultBodyCap)
	ctx := t.Context()
	start := time.Now().UTC().Add(-time.Hour).Truncate(time.Microsecond)
	alice := schemas.Principal{Subject: "alice", Groups: []string{"sre"}}
	cases := []struct {
		name string
		// ends are the hold's ending events in log order, each at its
		// offset from the hold's opening.
		ends        func(add func(after time.Duration, p schemas.Payload))
		hold        string
		outcome     string
		wantExpired bool // listed by Recent's outcome "expired"
	}{
		{name: "approval then a late expiry", hold: "approved", outcome: schemas.OutcomeExecuted,
			ends: func(add func(time.Duration, schemas.Payload)) {
				add(time.Minute, &schemas.ApprovalGiven{By: alice, Reason: "ok"})
				add(time.Minute+time.Millisecond, &schemas.HoldApproved{Approvers: []string{"alice"}})
				add(time.Minute+2*time.Millisecond, &schemas.ResponseReady{Outcome: schemas.OutcomeExecuted, Response: &schemas.HTTPResponse{Status: 200}})
				add(5*time.Minute, &schemas.HoldExpired{}) // the hold's expiry, written late
			}},
		{name: "expiry then a late approval", hold: "expired", outcome: schemas.OutcomeDenied, wantExpired: true,
			ends: func(add func(time.Duration, schemas.Payload)) {
				add(5*time.Minute, &schemas.HoldExpired{})
				add(5*time.Minute+time.Millisecond, &schemas.ResponseReady{Outcome: schemas.OutcomeDenied, Error: &schemas.APIError{Status: 403, Code: "AccessDenied"}})
				add(4*time.Minute, &schemas.ApprovalGiven{By: alice}) // refused by every view: no hold.approved
			}},
		{name: "denial then a late expiry", hold: "denied", outcome: schemas.OutcomeDenied,
			ends: func(add func(time.Duration, schemas.Payload)) {
				add(time.Minute, &schemas.HoldDenied{By: alice, Reason: "no"})
				add(time.Minute+time.Millisecond, &schemas.ResponseReady{Outcome: schemas.OutcomeDenied, Error: &schemas.APIError{Status: 403, Code: "AccessDenied"}})
				add(5*time.Minute, &schemas.HoldExpired{})
			}},
		{name: "expiry then a denial stamped earlier", hold: "expired", outcome: schemas.OutcomeDenied, wantExpired: true,
			ends: func(add func(time.Duration, schemas.Payload)) {
				add(5*time.Minute, &schemas.HoldExpired{})
				add(5*time.Minute+time.Millisecond, &schemas.ResponseReady{Outcome: schemas.OutcomeDenied, Error: &schemas.APIError{Status: 403, Code: "AccessDenied"}})
				add(4*time.Minute, &schemas.HoldDenied{By: alice, Reason: "no"})
			}},
	}
	log := &eventLog{t: t}
	for i, tc := range cases {
		id := fmt.Sprintf("req-hold-%d", i)
		at := start.Add(time.Duration(i) * time.Second)
		add := func(after time.Duration, p schemas.Payload) {
			topic := schemas.TopicHolds
			if p.EventType() == schemas.TypeResponseReady {
				topic = schemas.TopicResponses
			}
			log.add(fmt.Sprintf("%s/%s/%d", id, p.EventType(), len(log.batch)), id, "test/1", at.Add(after), topic, p)
		}
		req := schemas.RequestReceived{Principal: schemas.Principal{Subject: "agent"}, Service: "ec2", Operation: "StopInstances",
			Protocol: "query", Deadline: at.Add(time.Hour)}
		log.add(id+"/received", id, "ingress/1", at, schemas.TopicRequests, &req)
		add(time.Millisecond, &schemas.DecisionMade{RequestID: id, Outcome: schemas.Hold, Request: req})
		add(2*time.Millisecond, &schemas.HoldOpened{Request: req, Rule: "stop", Terms: schemas.HoldTerms{Approvers: []string{"sre"}, Expires: at.Add(5 * time.Minute)}})
		tc.ends(add)
	}
	for range 2 { // a redelivered batch counts once
		if err := r.storeBatch(ctx, log.batch); err != nil {
			t.Fatal(err)
		}
	}
	recent, err := ac.Recent(ctx, audit.Filter{Since: start.Add(-time.Minute)})
	if err != nil {
		t.Fatal(err)
	}
	byID := map[string]audit.RequestSummary{}
	for _, s := range recent {
		byID[s.RequestID] = s
	}
	expired, err := ac.Recent(ctx, audit.Filter{Since: start.Add(-time.Minute), Outcome: "expired"})
	if err != nil {
		t.Fatal(err)
	}
	listed := map[string]bool{}
	for _, s := range expired {
		listed[s.RequestID] = true
	}
	for i, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			id := fmt.Sprintf("req-hold-%d", i)
			row := queryOne(t, ac, fmt.Sprintf("SELECT hold, outcome, decision FROM jitgate.requests WHERE request_id = '%s'", id))
			if row[0] != tc.hold || row[1] != tc.outcome || row[2] != "hold" {
				t.Errorf("requests view: hold %q, outcome %q, decision %q; want %q, %q, hold", row[0], row[1], row[2], tc.hold, tc.outcome)
			}
			if s := byID[id]; s.Hold != tc.hold || s.Outcome != tc.outcome {
				t.Errorf("audit.Recent: hold %q, outcome %q; want %q, %q", s.Hold, s.Outcome, tc.hold, tc.outcome)
			}
			if listed[id] != tc.wantExpired {
				t.Errorf("listed as expired: %v, want %v", listed[id], tc.wantExpired)
			}
		})
	}
}
