package recorder

import (
	"fmt"
	"testing"
	"time"

	"github.com/jitgate/jitgate/internal/audit"
	"github.com/jitgate/jitgate/schemas"
)

// TestAuditUnknownOnClickHouse: `jitgate audit unknown` (audit.Unknown),
// against the recorder's schema on the ClickHouse this machine runs
// (18.16), lists the calls an executor ended as outcome-unknown and those
// started long ago that never finished, and nothing else.
func TestAuditUnknownOnClickHouse(t *testing.T) {
	r, ac := newTestRecorder(t, DefaultBodyCap)
	ctx := t.Context()
	now := time.Now().UTC().Truncate(time.Microsecond)
	log := &eventLog{t: t}
	add := func(id string, at time.Time, topic string, p schemas.Payload) {
		log.add(fmt.Sprintf("%s/%s/%d", id, p.EventType(), len(log.batch)), id, "test/1", at, topic, p)
	}
	// request adds request.received, decision.made and execution.started.
	request := func(id string, at time.Time, principal, operation string, readOnly bool) {
		req := schemas.RequestReceived{Principal: schemas.Principal{Subject: principal}, Service: "dynamodb", Operation: operation,
			Protocol: "json", ReadOnly: readOnly, Deadline: at.Add(30 * time.Second)}
		add(id, at, schemas.TopicRequests, &req)
		add(id, at.Add(time.Millisecond), schemas.TopicDecisions, &schemas.DecisionMade{RequestID: id, Outcome: schemas.Allow, Request: req})
		add(id, at.Add(2*time.Millisecond), schemas.TopicExecutions, &schemas.ExecutionStarted{Attempt: 1, ReadOnly: readOnly,
			Service: "dynamodb", Operation: operation, Deadline: req.Deadline})
	}
	finished := func(id string, at time.Time, kind string) {
		fin := &schemas.ExecutionFinished{Service: "dynamodb", Operation: "PutItem", Protocol: "json", ErrorKind: kind,
			Response: schemas.HTTPResponse{Status: 200, Headers: []schemas.Header{{Name: "X-Note", Value: `"error_kind":"outcome_unknown"`}}}}
		if kind != "" {
			fin.Error, fin.Response = "the outcome of this call is unknown", schemas.HTTPResponse{}
		}
		add(id, at, schemas.TopicExecutions, fin)
	}
	hourAgo := now.Add(-time.Hour)
	request("req-answered", hourAgo, "agent-1", "PutItem", false)
	finished("req-answered", hourAgo.Add(time.Second), "") // a header quoting the marker is not the marker
	request("req-unknown", hourAgo.Add(time.Minute), "agent-2", "PutItem", false)
	finished("req-unknown", hourAgo.Add(time.Minute+time.Microsecond), schemas.ErrorOutcomeUnknown)
	request("req-unresolved", hourAgo.Add(2*time.Minute), "agent-3", "DeleteItem", false)
	request("req-running", now.Add(-time.Minute), "agent-4", "PutItem", false)
	request("req-retried", hourAgo.Add(3*time.Minute), "agent-5", "GetItem", true)
	add("req-retried", hourAgo.Add(3*time.Minute+time.Second), schemas.TopicExecutions, &schemas.ExecutionStarted{Attempt: 2, ReadOnly: true})
	finished("req-retried", hourAgo.Add(3*time.Minute+2*time.Second), "")
	request("req-late", hourAgo.Add(4*time.Minute), "agent-6", "PutItem", false)
	finished("req-late", hourAgo.Add(4*time.Minute+time.Microsecond), schemas.ErrorOutcomeUnknown)
	finished("req-late", hourAgo.Add(5*time.Minute), "")
	for range 2 { // a redelivered batch counts once
		if err := r.storeBatch(ctx, log.batch); err != nil {
			t.Fatal(err)
		}
	}

	got, err := ac.Unknown(ctx, audit.UnknownFilter{Since: now.Add(-2 * time.Hour), Now: now})
	if err != nil {
		t.Fatal(err)
	}
	want := []audit.UnknownRequest{
		{RequestID: "req-late", Principal: "agent-6", Operation: "PutItem", Attempts: 1, State: audit.StateUnknownThenFinished},
		{RequestID: "req-unresolved", Principal: "agent-3", Operation: "DeleteItem", Attempts: 1, State: audit.StateUnresolved},
		{RequestID: "req-unknown", Principal: "agent-2", Operation: "PutItem", Attempts: 1, State: audit.StateOutcomeUnknown},
	}
	if len(got) != len(want) {
		t.Fatalf("listed %+v; want %d requests", got, len(want))
	}
	for i, w := range want {
		g := got[i]
		if g.RequestID != w.RequestID || g.Principal != w.Principal || g.Service != "dynamodb" || g.Operation != w.Operation ||
			g.Attempts != w.Attempts || g.State != w.State || g.ReadOnly {
			t.Errorf("row %d = %+v; want %+v", i, g, w)
		}
	}
	if u := got[2]; !u.Received.Equal(hourAgo.Add(time.Minute)) || !u.Started.Equal(hourAgo.Add(time.Minute+2*time.Millisecond)) {
		t.Errorf("req-unknown received %v started %v", u.Received, u.Started)
	}
	if got, err := ac.Unknown(ctx, audit.UnknownFilter{Since: now.Add(-2 * time.Hour), Now: now, UnresolvedAfter: 30 * time.Second}); err != nil || len(got) != 4 || got[0].RequestID != "req-running" {
		t.Errorf("with a 30 s bound, a call started a minute ago is unresolved too: %+v, %v", got, err)
	}
	if got, err := ac.Unknown(ctx, audit.UnknownFilter{Since: hourAgo.Add(150 * time.Second), Now: now}); err != nil || len(got) != 1 || got[0].RequestID != "req-late" {
		t.Errorf("since: %+v, %v; want req-late only", got, err)
	}
}
