package recorder

import (
	"testing"
	"time"

	"github.com/jitgate/jitgate/internal/audit"
	"github.com/jitgate/jitgate/schemas"
)

// TestAuditRefusalsOnClickHouse: a call refused at the ingress's door
// (request.refused, no request.received) is a request in `jitgate audit
// recent` and the requests view, with its principal, call and outcome
// (throttled, unavailable, unauthenticated, rejected); a refusal that
// raced a publish the broker took after all shows the pipeline's answer;
// a rejection that was also a security.refused is one request, its outcome
// the refusal's. On the ClickHouse this machine runs (18.16).
func TestAuditRefusalsOnClickHouse(t *testing.T) {
	r, ac := newTestRecorder(t, DefaultBodyCap)
	ctx := t.Context()
	now := time.Now().UTC().Truncate(time.Microsecond)
	log := &eventLog{t: t}
	add := func(id, eventID string, at time.Time, topic string, p schemas.Payload) {
		log.add(eventID, id, "ingress/i-1", at, topic, p)
	}
	refused := func(id string, at time.Time, outcome, code string, principal *schemas.Principal, service, operation string) {
		add(id, id+"/request.refused", at, schemas.TopicResponses, &schemas.RequestRefused{Outcome: outcome, Reason: "why",
			Error: schemas.APIError{Status: 503, Code: code, Message: "retry later"}, Principal: principal,
			Service: service, Operation: operation, SigningName: "dynamodb", Replica: "i-1"})
	}
	agent := &schemas.Principal{Subject: "agent-1", Groups: []string{"agents"}}
	refused("req-throttled", now.Add(-3*time.Minute), schemas.OutcomeThrottled, "ThrottlingException", agent, "", "")
	refused("req-flood", now.Add(-2*time.Minute), schemas.OutcomeThrottled, "ThrottlingException", nil, "", "")
	refused("req-down", now.Add(-time.Minute), schemas.OutcomeUnavailable, "ServiceUnavailable", agent, "dynamodb", "PutItem")
	refused("req-stranger", now.Add(-50*time.Second), schemas.OutcomeUnauthenticated, "InvalidClientTokenId", nil, "", "")
	// An ambiguous request: the security record and the terminal outcome.
	ambiguous := now.Add(-40 * time.Second)
	add("req-ambiguous", "req-ambiguous/security.refused", ambiguous, schemas.TopicSecurity,
		&schemas.SecurityRefused{Stage: "ingress", Kind: schemas.SecurityAmbiguousRequest, Reason: "two readings", Principal: agent})
	refused("req-ambiguous", ambiguous.Add(time.Microsecond), schemas.OutcomeRejected, "SerializationException", agent, "", "")
	// The race: refused as unavailable, but the broker took the request,
	// which the decider denied past its deadline.
	raced := now.Add(-30 * time.Second)
	req := schemas.RequestReceived{Principal: *agent, Service: "dynamodb", Operation: "PutItem", Deadline: raced}
	add("req-raced", "req-raced/received", raced.Add(-time.Second), schemas.TopicRequests, &req)
	refused("req-raced", raced, schemas.OutcomeUnavailable, "ServiceUnavailable", agent, "dynamodb", "PutItem")
	add("req-raced", "req-raced/response.ready", raced.Add(time.Second), schemas.TopicResponses,
		&schemas.ResponseReady{Outcome: schemas.OutcomeDenied, Error: &schemas.APIError{Status: 403, Code: "AccessDenied", Message: "late"}})
	for range 2 { // the refusal publisher may publish a batch twice
		if err := r.storeBatch(ctx, log.batch); err != nil {
			t.Fatal(err)
		}
	}

	got, err := ac.Recent(ctx, audit.Filter{Since: now.Add(-time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	want := []audit.RequestSummary{
		{RequestID: "req-raced", Principal: "agent-1", Service: "dynamodb", Operation: "PutItem", Outcome: "denied", Status: 403, Events: 3},
		{RequestID: "req-ambiguous", Principal: "agent-1", Service: "dynamodb", Outcome: "rejected", Status: 503, Events: 2},
		{RequestID: "req-stranger", Service: "dynamodb", Outcome: "unauthenticated", Status: 503, Events: 1},
		{RequestID: "req-down", Principal: "agent-1", Service: "dynamodb", Operation: "PutItem", Outcome: "unavailable", Status: 503, Events: 1},
		{RequestID: "req-flood", Service: "dynamodb", Outcome: "throttled", Status: 503, Events: 1},
		{RequestID: "req-throttled", Principal: "agent-1", Service: "dynamodb", Outcome: "throttled", Status: 503, Events: 1},
	}
	if len(got) != len(want) {
		t.Fatalf("recent: %+v; want %d requests", got, len(want))
	}
	for i, w := range want {
		g := got[i]
		if g.RequestID != w.RequestID || g.Principal != w.Principal || g.Service != w.Service || g.Operation != w.Operation ||
			g.Outcome != w.Outcome || g.Status != w.Status || g.Events != w.Events {
			t.Errorf("recent row %d = %+v; want %+v", i, g, w)
		}
	}
	for _, tc := range []struct {
		filter audit.Filter
		want   int
	}{
		{audit.Filter{Outcome: "throttled"}, 2},
		{audit.Filter{Outcome: "unavailable"}, 1},
		{audit.Filter{Principal: "agent-1", Outcome: "throttled"}, 1},
		{audit.Filter{Outcome: "unauthenticated"}, 1},
		{audit.Filter{Outcome: "rejected"}, 1},
	} {
		tc.filter.Since = now.Add(-time.Hour)
		if got, err := ac.Recent(ctx, tc.filter); err != nil || len(got) != tc.want {
			t.Errorf("recent %+v: %+v, %v; want %d", tc.filter, got, err, tc.want)
		}
	}
	view := queryOne(t, ac, "SELECT groupArray(outcome) FROM (SELECT outcome FROM jitgate.requests ORDER BY started_us)")
	if w := "[throttled,throttled,unavailable,unauthenticated,rejected,denied]"; len(view) != 1 || view[0] != w {
		t.Errorf("requests view outcomes %v; want %s", view, w)
	}
}
