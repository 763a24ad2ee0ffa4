package ingress

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/jitgate/jitgate/internal/api"
	"github.com/jitgate/jitgate/internal/bus"
	"github.com/jitgate/jitgate/internal/holds"
	"github.com/jitgate/jitgate/schemas"
)

// holdFixture is a hold.opened for request id, made by agent-1.
func holdFixture(t *testing.T, e *env, id string, expires time.Time, terms func(*schemas.HoldTerms)) bus.Output {
	t.Helper()
	ht := schemas.HoldTerms{Approvers: []string{"approvers"}, Approvals: 1, Expires: expires}
	if terms != nil {
		terms(&ht)
	}
	req := schemas.RequestReceived{
		ReplyTo: testReplica, Principal: e.principal("agent-1", "agents"), SessionID: "JGIAAAAAAAAAAAAAAAAA", Role: testRole,
		Service: "s3", Operation: "DeleteObject", Protocol: "rest-xml", SigningName: "s3", Region: testRegion,
		Params: json.RawMessage(`{"Bucket":"prod-data","Key":"report.csv","MFA":"arn:aws:iam::123456789012:mfa/root 123456"}`),
		HTTP:   schemas.HTTPRequest{Method: http.MethodDelete, Path: "/prod-data/report.csv"},
	}
	return output(t, schemas.TopicHolds, id, id, "", time.Now().Add(-time.Minute),
		&schemas.HoldOpened{Request: req, Rule: "prod-writes", Reason: "writes to prod need a second pair of eyes", Terms: ht})
}

func (e *env) principal(subject string, groups ...string) schemas.Principal {
	return schemas.Principal{Subject: subject, Issuer: e.iss.URL(), Groups: groups}
}

func (e *env) client(subject string, groups ...string) *api.Client {
	return &api.Client{Endpoint: e.url, Token: e.mint(subject, groups...)}
}

// apiStatus returns the HTTP status and code of an API error (0 for nil).
func apiStatus(t *testing.T, err error) (int, string) {
	t.Helper()
	if err == nil {
		return 0, ""
	}
	var ae *api.Error
	if !errors.As(err, &ae) {
		t.Fatalf("not an API error: %v", err)
	}
	return ae.Status, ae.Code
}

func TestApproverAPI(t *testing.T) {
	cfg := startBus(t)
	e := newEnv(t, envOpts{bus: &cfg, noAttach: true})
	now := time.Now()
	grantExpires := now.Add(time.Hour).UTC().Truncate(time.Second)
	grant := func(id string) bus.Output {
		return output(t, schemas.TopicGrants, id, "req-old", "", now, &schemas.GrantOpened{
			GrantID: id, RequestID: "req-old", Principal: e.principal("agent-1", "agents"), Scope: "operation",
			Service: "s3", Operation: "GetObject", Params: json.RawMessage(`{"Bucket":"prod-data"}`),
			Expires: grantExpires, ApprovedBy: []string{holds.Identity(e.principal("carol", "approvers"))},
		})
	}
	// The log the gateway finds when it starts.
	publishAll(t, cfg,
		holdFixture(t, e, "req-two", now.Add(time.Hour), func(ht *schemas.HoldTerms) {
			ht.Approvals = 2
			ht.Grant = &schemas.GrantTerms{For: 15 * time.Minute, Scope: "operation"}
		}),
		holdFixture(t, e, "req-one", now.Add(time.Hour), nil),
		holdFixture(t, e, "req-expired", now.Add(-time.Second), nil),
		holdFixture(t, e, "req-deny", now.Add(time.Hour), nil),
		holdFixture(t, e, "req-justify", now.Add(time.Hour), func(ht *schemas.HoldTerms) { ht.RequireJustification = true }),
		grant("g-1"), grant("g-2"),
	)

	if status, body := get(t, e.url+"/readyz"); status != http.StatusServiceUnavailable {
		t.Fatalf("/readyz before attaching: %d %s", status, body)
	}
	e.attach()
	eventually(t, "/readyz", func() bool { s, _ := get(t, e.url+"/readyz"); return s == http.StatusOK })

	ctx := context.Background()
	alice, carol := e.client("alice", "approvers"), e.client("carol", "approvers")
	bob, agent := e.client("bob", "devs"), e.client("agent-1", "agents")

	// The view is whole as soon as the gateway is ready.
	pending, err := alice.Pending(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, h := range pending {
		ids = append(ids, h.ID)
	}
	slices.Sort(ids)
	if want := []string{"req-deny", "req-justify", "req-one", "req-two"}; !slices.Equal(ids, want) {
		t.Errorf("pending %v, want %v", ids, want)
	}

	t.Run("whoami", func(t *testing.T) {
		who, err := alice.Whoami(ctx)
		if err != nil || who.Subject != "alice" || who.Issuer != e.iss.URL() || !slices.Equal(who.Groups, []string{"approvers"}) {
			t.Errorf("whoami %+v %v", who, err)
		}
	})

	t.Run("authentication", func(t *testing.T) {
		stranger, err := e.stranger.Mint("alice", []string{"approvers"}, testAudience, time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		expired, err := e.iss.Mint("alice", []string{"approvers"}, testAudience, -time.Minute)
		if err != nil {
			t.Fatal(err)
		}
		for name, tok := range map[string]string{"missing": "", "garbage": "garbage", "untrusted issuer": stranger, "expired": expired} {
			c := &api.Client{Endpoint: e.url, Token: tok}
			_, err := c.Whoami(ctx)
			if status, code := apiStatus(t, err); status != http.StatusUnauthorized || code != "Unauthenticated" {
				t.Errorf("%s token: %d %s", name, status, code)
			}
		}
	})

	t.Run("show", func(t *testing.T) {
		h, err := alice.Hold(ctx, "req-two")
		if err != nil {
			t.Fatal(err)
		}
		if h.State != "pending" || h.Agent != "agent-1" || h.Needed != 2 || h.GrantFor != "15m0s" || h.Resources["bucket"] != "prod-data" ||
			string(h.Params) != `{"Bucket":"prod-data","Key":"report.csv","MFA":"*** (sensitive)"}` || h.Method != http.MethodDelete ||
			len(h.Timeline) != 1 || h.Timeline[0].What != "held" {
			t.Errorf("hold %+v", h)
		}
		if h, err := alice.Hold(ctx, "req-expired"); err != nil || h.State != "expired" {
			t.Errorf("expired hold: %+v %v", h.State, err)
		}
	})

	type step struct {
		name   string
		do     func() (any, error)
		status int // 0 = success
		code   string
		msg    string // in the refusal's message
		check  func(t *testing.T, out any)
	}
	approve := func(c *api.Client, id, forDur string) func() (any, error) {
		return func() (any, error) { return c.Approve(ctx, id, api.ApproveRequest{Reason: "ok by me", For: forDur}) }
	}
	deny := func(c *api.Client, id, reason string) func() (any, error) {
		return func() (any, error) { return c.Deny(ctx, id, api.DenyRequest{Reason: reason}) }
	}
	justify := func(c *api.Client, id, text string) func() (any, error) {
		return func() (any, error) { return c.Justify(ctx, id, api.JustifyRequest{Text: text}) }
	}
	revoke := func(c *api.Client, id string) func() (any, error) {
		return func() (any, error) { return c.Revoke(ctx, id, api.RevokeRequest{Reason: "done"}) }
	}
	hold := func(check func(t *testing.T, h api.Hold)) func(t *testing.T, out any) {
		return func(t *testing.T, out any) { check(t, out.(api.Hold)) }
	}
	steps := []step{
		{name: "show unknown hold", do: func() (any, error) { return alice.Hold(ctx, "req-nope") }, status: 404, code: "NotFound"},
		{name: "approve unknown hold", do: approve(alice, "req-nope", ""), status: 404, code: "NotFound"},
		{name: "approve own request", do: approve(agent, "req-two", ""), status: 403, code: "Forbidden", msg: "made request req-two and cannot approve it"},
		{name: "approve as non-member reads like no hold", do: approve(bob, "req-two", ""), status: 404, code: "NotFound", msg: "no hold req-two"},
		{name: "approve wider than the rule", do: approve(alice, "req-two", "1h"), status: 400, code: "InvalidArgument", msg: "at most 15m0s"},
		{name: "approve with a bad --for", do: approve(alice, "req-two", "banana"), status: 400, code: "InvalidArgument", msg: "not a positive duration"},
		{name: "approve with a negative --for", do: approve(alice, "req-two", "-5m"), status: 400, code: "InvalidArgument"},
		{name: "approve with a grant length the rule does not open", do: approve(alice, "req-one", "5m"), status: 400, code: "InvalidArgument"},
		{name: "first of two approvals", do: approve(alice, "req-two", "10m"), check: hold(func(t *testing.T, h api.Hold) {
			if h.State != "pending" || len(h.Approvals) != 1 || h.Approvals[0].For != "10m0s" || !strings.HasPrefix(h.Approvals[0].By, "alice") {
				t.Errorf("hold %+v", h)
			}
		})},
		{name: "approve twice", do: approve(alice, "req-two", ""), status: 409, code: "Conflict", msg: "already approved it"},
		{name: "approve expired", do: approve(alice, "req-expired", ""), status: 409, code: "Conflict", msg: "expired at"},
		{name: "approve to completion", do: approve(carol, "req-one", ""), check: hold(func(t *testing.T, h api.Hold) {
			if h.State != "approved" || len(h.Approvals) != 1 {
				t.Errorf("hold %+v", h)
			}
		})},
		{name: "approve already approved", do: approve(alice, "req-one", ""), status: 409, code: "Conflict", msg: "already approved (by carol)"},
		{name: "deny without reason", do: deny(alice, "req-deny", "  "), status: 400, code: "InvalidArgument"},
		{name: "deny as non-member reads like no hold", do: deny(bob, "req-deny", "no"), status: 404, code: "NotFound", msg: "no hold req-deny"},
		{name: "deny own request", do: deny(agent, "req-deny", "no"), status: 403, code: "Forbidden"},
		{name: "deny", do: deny(alice, "req-deny", "not today"), check: hold(func(t *testing.T, h api.Hold) {
			if h.State != "denied" || h.ResolvedReason != "not today" || !strings.HasPrefix(h.ResolvedBy, "alice") {
				t.Errorf("hold %+v", h)
			}
		})},
		{name: "deny again", do: deny(carol, "req-deny", "no"), status: 409, code: "Conflict", msg: "already denied"},
		{name: "approve denied", do: approve(carol, "req-deny", ""), status: 409, code: "Conflict"},
		{name: "approve before the required justification", do: approve(alice, "req-justify", ""), status: 409, code: "Conflict", msg: "needs a justification"},
		{name: "justify someone else's request", do: justify(bob, "req-justify", "because"), status: 404, code: "NotFound", msg: "no hold req-justify"},
		{name: "justify with nothing", do: justify(agent, "req-justify", ""), status: 400, code: "InvalidArgument"},
		{name: "justify", do: justify(agent, "req-justify", "incident 42"), check: hold(func(t *testing.T, h api.Hold) {
			if h.Justification != "incident 42" || h.State != "pending" {
				t.Errorf("hold %+v", h)
			}
		})},
		{name: "approve after justification", do: approve(alice, "req-justify", ""), check: hold(func(t *testing.T, h api.Hold) {
			if h.State != "approved" {
				t.Errorf("hold %+v", h)
			}
		})},
		{name: "grants", do: func() (any, error) { return carol.Grants(ctx) }, check: func(t *testing.T, out any) {
			gs := out.([]api.Grant)
			if len(gs) != 2 || gs[0].Agent != "agent-1" || !gs[0].Expires.Equal(grantExpires) {
				t.Errorf("grants %+v", gs)
			}
		}},
		{name: "revoke as outsider", do: revoke(bob, "g-1"), status: 403, code: "Forbidden"},
		{name: "revoke unknown grant", do: revoke(alice, "g-nope"), status: 404, code: "NotFound"},
		{name: "revoke as its approver", do: revoke(carol, "g-1"), check: func(t *testing.T, out any) {
			if g := out.(api.Grant); !g.Revoked || !strings.HasPrefix(g.RevokedBy, "carol") {
				t.Errorf("grant %+v", g)
			}
		}},
		{name: "revoke again", do: revoke(carol, "g-1"), status: 409, code: "Conflict", msg: "already revoked"},
		{name: "revoke as its grantee", do: revoke(agent, "g-2"), check: func(t *testing.T, out any) {
			if g := out.(api.Grant); !g.Revoked {
				t.Errorf("grant %+v", g)
			}
		}},
		{name: "no grants left", do: func() (any, error) { return alice.Grants(ctx) }, check: func(t *testing.T, out any) {
			if gs := out.([]api.Grant); len(gs) != 0 {
				t.Errorf("grants %+v", gs)
			}
		}},
	}
	for _, s := range steps {
		t.Run(s.name, func(t *testing.T) {
			out, err := s.do()
			status, code := apiStatus(t, err)
			if status != s.status || code != s.code {
				t.Fatalf("got %d %s (%v), want %d %s", status, code, err, s.status, s.code)
			}
			if err != nil && !strings.Contains(err.Error(), s.msg) {
				t.Errorf("message %q does not say %q", err, s.msg)
			}
			if s.check != nil {
				s.check(t, out)
			}
		})
	}

	t.Run("pending after the decisions", func(t *testing.T) {
		pending, err := alice.Pending(ctx)
		if err != nil || len(pending) != 1 || pending[0].ID != "req-two" {
			t.Errorf("pending %+v %v", pending, err)
		}
	})

	t.Run("approval.given is keyed by the request id", func(t *testing.T) {
		recs := readTopic(t, cfg, schemas.TopicHolds, func(r *kgo.Record) bool {
			return header(r, schemas.HeaderType) == string(schemas.TypeApprovalGiven)
		}, 3)
		var byKey = map[string]*schemas.ApprovalGiven{}
		for _, r := range recs {
			env, err := schemas.Unmarshal(r.Value)
			if err != nil {
				t.Fatal(err)
			}
			p, err := schemas.DecodeAs[*schemas.ApprovalGiven](env)
			if err != nil {
				t.Fatal(err)
			}
			if string(r.Key) != env.RequestID || header(r, schemas.HeaderRequestID) != env.RequestID {
				t.Errorf("record key %q, request id %q", r.Key, env.RequestID)
			}
			byKey[string(r.Key)] = p
		}
		if a := byKey["req-two"]; a == nil || a.By.Subject != "alice" || a.By.Issuer != e.iss.URL() || a.For != 10*time.Minute || a.Reason != "ok by me" {
			t.Errorf("approval of req-two: %+v", a)
		}
		if len(byKey) != 3 {
			t.Errorf("approvals for %d holds, want 3 (req-two, req-one, req-justify)", len(byKey))
		}
	})

	t.Run("unknown route", func(t *testing.T) {
		status, body := get(t, e.url+api.Prefix+"/nope", "Authorization: Bearer "+e.mint("alice"))
		var eb api.ErrorBody
		if status != http.StatusNotFound || json.Unmarshal([]byte(body), &eb) != nil || eb.Error.Code != "NotFound" {
			t.Errorf("%d %s", status, body)
		}
	})

	t.Run("body with unknown fields", func(t *testing.T) {
		req, _ := http.NewRequest(http.MethodPost, e.url+api.Prefix+"/holds/req-two/approve", strings.NewReader(`{"reason":"x","forever":true}`))
		req.Header.Set("Authorization", "Bearer "+e.mint("carol", "approvers"))
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusBadRequest {
			t.Errorf("status %d", resp.StatusCode)
		}
	})
}

// readTopic reads topic from the start until it has n records that keep
// accepts.
func readTopic(t *testing.T, cfg bus.Config, topic string, keep func(*kgo.Record) bool, n int) []*kgo.Record {
	t.Helper()
	cl, err := kgo.NewClient(kgo.SeedBrokers(cfg.Brokers...), kgo.ConsumeTopics(cfg.Topic(topic)),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	var out []*kgo.Record
	for len(out) < n {
		fetches := cl.PollFetches(ctx)
		if ctx.Err() != nil {
			t.Fatalf("found %d of %d records on %s", len(out), n, topic)
		}
		fetches.EachRecord(func(r *kgo.Record) {
			if keep(r) {
				out = append(out, r)
			}
		})
	}
	return out
}

func header(r *kgo.Record, name string) string {
	for _, h := range r.Headers {
		if h.Key == name {
			return string(h.Value)
		}
	}
	return ""
}
