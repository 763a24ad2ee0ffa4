package recorder

import (
	"testing"
	"time"

	"github.com/jitgate/jitgate/internal/audit"
	"github.com/jitgate/jitgate/schemas"
)

// TestAuditCredentialExchangesOnClickHouse: a credential exchange is a
// request in `jitgate audit recent` and the requests view: issued
// (session.issued, with the principal and the session id that ties it to
// the session's calls) or refused (a request.refused of service sts), and
// `--outcome issued` or `--service sts --operation
// AssumeRoleWithWebIdentity` find them. On the ClickHouse this machine
// runs (18.16).
func TestAuditCredentialExchangesOnClickHouse(t *testing.T) {
	r, ac := newTestRecorder(t, DefaultBodyCap)
	ctx := t.Context()
	now := time.Now().UTC().Truncate(time.Microsecond)
	log := &eventLog{t: t}
	const sessionID = "JGIADDDDDDDDDDDDDDDD"
	agent := schemas.Principal{Subject: "agent-1", Issuer: "https://iss", Groups: []string{"agents"}}
	log.add("req-issued/session.issued", "req-issued", "ingress/i-1", now.Add(-time.Minute), schemas.TopicResponses, &schemas.SessionIssued{
		Principal: agent, SessionID: sessionID, Role: "arn:aws:iam::123456789012:role/r", SessionName: "s1",
		Expires: now.Add(time.Hour), Audience: "jitgate", Source: "10.0.0.3", Replica: "i-1"})
	log.add("req-refused/request.refused", "req-refused", "ingress/i-1", now.Add(-30*time.Second), schemas.TopicResponses, &schemas.RequestRefused{
		Outcome: schemas.OutcomeUnauthenticated, Reason: "token of an untrusted issuer",
		Error:   schemas.APIError{Status: 400, Code: "InvalidIdentityToken", Message: "No OpenIDConnect provider trusted"},
		Service: "sts", Operation: "AssumeRoleWithWebIdentity", SigningName: "sts", Replica: "i-1"})
	for range 2 { // the door log may publish a batch twice
		if err := r.storeBatch(ctx, log.batch); err != nil {
			t.Fatal(err)
		}
	}

	got, err := ac.Recent(ctx, audit.Filter{Since: now.Add(-time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	want := []audit.RequestSummary{
		{RequestID: "req-refused", Service: "sts", Operation: "AssumeRoleWithWebIdentity", Outcome: "unauthenticated", Status: 400, Events: 1},
		{RequestID: "req-issued", Principal: "agent-1", Service: "sts", Operation: "AssumeRoleWithWebIdentity", Outcome: "issued", Status: 200, Events: 1},
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
		{audit.Filter{Outcome: schemas.OutcomeIssued}, 1},
		{audit.Filter{Service: "sts", Operation: "AssumeRoleWithWebIdentity"}, 2},
		{audit.Filter{Principal: "agent-1", Outcome: schemas.OutcomeIssued}, 1},
	} {
		tc.filter.Since = now.Add(-time.Hour)
		if got, err := ac.Recent(ctx, tc.filter); err != nil || len(got) != tc.want {
			t.Errorf("recent %+v: %+v, %v; want %d", tc.filter, got, err, tc.want)
		}
	}
	view := queryOne(t, ac, "SELECT groupArray(outcome) FROM (SELECT outcome FROM jitgate.requests ORDER BY started_us)")
	if w := "[issued,unauthenticated]"; len(view) != 1 || view[0] != w {
		t.Errorf("requests view outcomes %v; want %s", view, w)
	}
	row := queryOne(t, ac, "SELECT principal, session_id, role, source FROM jitgate.events FINAL WHERE type = 'session.issued'")
	if len(row) != 4 || row[0] != "agent-1" || row[1] != sessionID || row[2] != "arn:aws:iam::123456789012:role/r" || row[3] != "10.0.0.3" {
		t.Errorf("session.issued row %v", row)
	}
}
