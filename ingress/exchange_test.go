package ingress

import (
	"bytes"
	"context"
	"encoding/xml"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/jitgate/jitgate/internal/bus"
	"github.com/jitgate/jitgate/schemas"
)

// exchangeAnswer is an AssumeRoleWithWebIdentity answer as an agent reads it.
type exchangeAnswer struct {
	status    int
	requestID string
	raw       string
	creds     aws.Credentials
	expires   time.Time
}

// exchange posts an AssumeRoleWithWebIdentity form, unsigned, as agents do.
func (e *env) exchange(t *testing.T, role, sessionName, token string) exchangeAnswer {
	t.Helper()
	form := url.Values{"Action": {"AssumeRoleWithWebIdentity"}, "Version": {"2011-06-15"}, "WebIdentityToken": {token}}
	if role != "" {
		form.Set("RoleArn", role)
	}
	if sessionName != "" {
		form.Set("RoleSessionName", sessionName)
	}
	resp, err := http.PostForm(e.url, form)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	a := exchangeAnswer{status: resp.StatusCode, requestID: resp.Header.Get("X-Jitgate-Request-Id"), raw: string(raw)}
	if a.requestID == "" || resp.Header.Get("X-Amzn-Requestid") != a.requestID {
		t.Fatalf("request ids: X-Jitgate-Request-Id %q, x-amzn-RequestId %q", a.requestID, resp.Header.Get("X-Amzn-Requestid"))
	}
	if a.status == http.StatusOK {
		var out struct {
			Creds struct {
				AccessKeyID     string `xml:"AccessKeyId"`
				SecretAccessKey string `xml:"SecretAccessKey"`
				SessionToken    string `xml:"SessionToken"`
				Expiration      string `xml:"Expiration"`
			} `xml:"AssumeRoleWithWebIdentityResult>Credentials"`
		}
		if err := xml.Unmarshal(raw, &out); err != nil {
			t.Fatalf("decode %s: %v", raw, err)
		}
		c := out.Creds
		a.creds = aws.Credentials{AccessKeyID: c.AccessKeyID, SecretAccessKey: c.SecretAccessKey, SessionToken: c.SessionToken}
		if a.expires, err = time.Parse(time.RFC3339, c.Expiration); err != nil {
			t.Fatalf("expiration %q: %v", c.Expiration, err)
		}
	}
	return a
}

// eventsOf returns the events published for requestID.
func eventsOf(outs []bus.Output, requestID string) []bus.Output {
	var got []bus.Output
	for _, o := range outs {
		if o.Envelope.RequestID == requestID {
			got = append(got, o)
		}
	}
	return got
}

// noSecrets fails if any event carries one of secrets.
func noSecrets(t *testing.T, outs []bus.Output, secrets ...string) {
	t.Helper()
	for _, o := range outs {
		raw, _ := o.Envelope.Marshal()
		for _, s := range secrets {
			if s != "" && bytes.Contains(raw, []byte(s)) {
				t.Errorf("%s carries a secret (%.12s...): %s", o.Envelope.Type, s, raw)
			}
		}
	}
}

// TestCredentialExchangeIsRecorded: an AssumeRoleWithWebIdentity answered
// with credentials ends in exactly one session.issued, named by the
// request id the agent saw, with the principal, groups, session id,
// role, session name, expiry, source and the token's issuer and
// audience, and never the web identity token, the session token or the
// secret; the session's calls carry its session id.
func TestCredentialExchangeIsRecorded(t *testing.T) {
	e := newEnv(t, envOpts{})
	e.pub.setRespond(ok(`{"TableNames":[]}`))
	token := e.mint("agent-1", "agents", "ops")
	before := time.Now()
	a := e.exchange(t, testRole, "deploy-42", token)
	if a.status != http.StatusOK {
		t.Fatalf("exchange answered %d %s", a.status, a.raw)
	}
	outs := eventsOf(e.flushDoor(), a.requestID)
	if len(outs) != 1 || outs[0].Envelope.Type != schemas.TypeSessionIssued {
		t.Fatalf("events for the exchange: %+v; want one session.issued", outs)
	}
	o := outs[0]
	if o.Topic != schemas.TopicResponses || o.ReplyTo != "" || o.Envelope.ID != a.requestID+"/session.issued" ||
		o.Envelope.Producer != schemas.ProducerName(schemas.RoleIngress, testReplica) {
		t.Errorf("session.issued on %s, reply-to %q, id %q, producer %q", o.Topic, o.ReplyTo, o.Envelope.ID, o.Envelope.Producer)
	}
	ev, err := schemas.DecodeAs[*schemas.SessionIssued](o.Envelope)
	if err != nil {
		t.Fatal(err)
	}
	if ev.Principal.Subject != "agent-1" || ev.Principal.Issuer != e.iss.URL() || !slices.Equal(ev.Principal.Groups, []string{"agents", "ops"}) {
		t.Errorf("principal %+v", ev.Principal)
	}
	if ev.SessionID != a.creds.AccessKeyID || ev.Role != testRole || ev.SessionName != "deploy-42" || ev.Audience != testAudience ||
		ev.Source != "127.0.0.1" || ev.Replica != testReplica {
		t.Errorf("session.issued %+v; want session id %s", ev, a.creds.AccessKeyID)
	}
	if !ev.Expires.Equal(a.expires) && !ev.Expires.Truncate(time.Second).Equal(a.expires) || ev.Expires.Before(before.Add(59*time.Minute)) {
		t.Errorf("expires %v; the agent was told %v", ev.Expires, a.expires)
	}
	noSecrets(t, outs, token, a.creds.SecretAccessKey, a.creds.SessionToken)

	// The session's calls name it.
	e.pub.reset()
	if _, err := e.dynamodb(static(a.creds)).ListTables(context.Background(), &dynamodb.ListTablesInput{}); err != nil {
		t.Fatal(err)
	}
	var sessionIDs []string
	for _, o := range e.pub.published() {
		if req, err := schemas.DecodeAs[*schemas.RequestReceived](o.Envelope); err == nil {
			sessionIDs = append(sessionIDs, req.SessionID)
		}
	}
	if len(sessionIDs) != 1 || sessionIDs[0] != ev.SessionID {
		t.Errorf("request.received session ids %v, want [%s]", sessionIDs, ev.SessionID)
	}
}

// TestRefusedExchangeIsRecorded: an AssumeRoleWithWebIdentity refused ends
// in exactly one request.refused (service sts) saying why, with the
// principal only when the token verified, never the token; a role outside
// --allowed-roles is also a security.refused.
func TestRefusedExchangeIsRecorded(t *testing.T) {
	e := newEnv(t, envOpts{})
	stranger, err := e.stranger.Mint("agent-1", []string{"agents"}, testAudience, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	expired, err := e.iss.Mint("agent-1", []string{"agents"}, testAudience, -time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	good := e.mint("agent-1", "agents")
	const otherRole = "arn:aws:iam::210987654321:role/admin"
	cases := []struct {
		name, role, sessionName, token string
		status                         int
		code, outcome, principal       string
		security                       string
	}{
		{name: "token of an untrusted issuer", role: testRole, sessionName: "s1", token: stranger,
			status: 400, code: "InvalidIdentityToken", outcome: schemas.OutcomeUnauthenticated},
		{name: "not a JWT", role: testRole, sessionName: "s1", token: "not-a-jwt",
			status: 400, code: "InvalidIdentityToken", outcome: schemas.OutcomeUnauthenticated},
		{name: "expired token", role: testRole, sessionName: "s1", token: expired,
			status: 400, code: "ExpiredTokenException", outcome: schemas.OutcomeUnauthenticated},
		{name: "no session name", role: testRole, token: good,
			status: 400, code: "ValidationError", outcome: schemas.OutcomeRejected},
		{name: "role not on the allow-list", role: otherRole, sessionName: "s1", token: good,
			status: 403, code: "AccessDenied", outcome: schemas.OutcomeRejected, principal: "agent-1", security: schemas.SecurityRoleNotAllowed},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			a := e.exchange(t, c.role, c.sessionName, c.token)
			if a.status != c.status || !strings.Contains(a.raw, c.code) {
				t.Fatalf("answered %d %s; want %d %s", a.status, a.raw, c.status, c.code)
			}
			outs := eventsOf(e.flushDoor(), a.requestID)
			got := refusalsOf(t, outs, a.requestID)
			if len(got) != 1 {
				t.Fatalf("%d request.refused for the exchange, want 1 (events %+v)", len(got), outs)
			}
			ev := got[0]
			if ev.Outcome != c.outcome || ev.Error.Status != c.status || ev.Error.Code != c.code || ev.Service != "sts" ||
				ev.Operation != "AssumeRoleWithWebIdentity" || ev.Source != "127.0.0.1" || ev.Replica != testReplica || ev.Reason == "" {
				t.Errorf("refusal %+v; want outcome %s, %d %s", ev, c.outcome, c.status, c.code)
			}
			switch {
			case c.principal == "" && ev.Principal != nil:
				t.Errorf("principal %+v for a token that did not verify", ev.Principal)
			case c.principal != "" && (ev.Principal == nil || ev.Principal.Subject != c.principal || ev.Principal.Issuer != e.iss.URL()):
				t.Errorf("principal %+v, want %s", ev.Principal, c.principal)
			}
			var security []*schemas.SecurityRefused
			for _, o := range outs {
				switch o.Envelope.Type {
				case schemas.TypeSecurityRefused:
					r, err := schemas.DecodeAs[*schemas.SecurityRefused](o.Envelope)
					if err != nil {
						t.Fatal(err)
					}
					if o.Topic != schemas.TopicSecurity || o.Envelope.ID != a.requestID+"/security.refused" {
						t.Errorf("security.refused on %s as %s", o.Topic, o.Envelope.ID)
					}
					security = append(security, r)
				case schemas.TypeSessionIssued:
					t.Errorf("session.issued for a refused exchange")
				}
			}
			switch {
			case c.security == "" && len(security) != 0:
				t.Errorf("security.refused %+v", security)
			case c.security != "" && (len(security) != 1 || security[0].Kind != c.security || security[0].Principal == nil ||
				security[0].Principal.Subject != c.principal || !strings.Contains(security[0].Reason, c.role)):
				t.Errorf("security.refused %+v; want one %s naming %s", security, c.security, c.role)
			}
			noSecrets(t, outs, c.token)
		})
	}
	if n := e.g.DroppedDoorEvents(); n != 0 {
		t.Errorf("%d door events dropped", n)
	}
}
