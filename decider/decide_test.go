package decider

import (
	"encoding/json"
	"net/http"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/jitgate/jitgate/internal/bus"
	"github.com/jitgate/jitgate/internal/policy"
	"github.com/jitgate/jitgate/schemas"
)

func TestHandleDecidesRequests(t *testing.T) {
	cases := []struct {
		name    string
		call    call
		outcome schemas.Outcome
		rule    string
		role    string
		reason  string   // exact, when set
		deny    []string // the AccessDenied message contains these
		outs    []string
	}{
		{
			name: "allow", call: getItem, outcome: schemas.Allow, rule: "reads", reason: "reads are fine",
			outs: []string{"decisions:decision.made"},
		},
		{
			name: "deny names rule and request", call: delBucket, outcome: schemas.Deny, rule: "no-deletes", reason: "deletes are forbidden",
			deny: []string{`rule "no-deletes"`, "s3:DeleteBucket", "deletes are forbidden"},
			outs: []string{"decisions:decision.made", "responses:response.ready"},
		},
		{
			name: "hold", call: putItem, outcome: schemas.Hold, rule: "table-writes", role: writerRole, reason: "writes need two humans",
			outs: []string{"decisions:decision.made", "holds:hold.opened"},
		},
		{
			name: "default deny", call: putObject, outcome: schemas.Deny, rule: "", reason: policy.DefaultReason,
			deny: []string{"s3:PutObject", policy.DefaultReason},
			outs: []string{"decisions:decision.made", "responses:response.ready"},
		},
		{
			name: "policy error fails closed", call: call{who: bot, service: "lambda", operation: "Invoke", params: `{"FunctionName":"f"}`},
			outcome: schemas.Deny, rule: "big-invokes",
			deny: []string{`rule "big-invokes"`, "lambda:Invoke", "failed"},
			outs: []string{"decisions:decision.made", "responses:response.ready"},
		},
		{
			name: "unreadable params deny", call: call{who: bot, service: "dynamodb", operation: "GetItem", readOnly: true, params: `["not","an","object"]`},
			outcome: schemas.Deny, rule: "",
			deny: []string{"request parameters are unreadable"},
			outs: []string{"decisions:decision.made", "responses:response.ready"},
		},
		{
			name: "credential minting is denied by the built-in rule", call: call{who: bot, service: "sts", operation: "AssumeRole", readOnly: true, params: `{}`},
			outcome: schemas.Deny, rule: policy.BuiltinRuleName,
			deny: []string{"sts:AssumeRole"},
			outs: []string{"decisions:decision.made", "responses:response.ready"},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			u := newUnit(t, testPolicy)
			in := received(t, tc.call)
			outs := u.handle(t, schemas.TopicRequests, in)
			wantShape(t, outs, tc.outs...)
			for _, o := range outs {
				if o.Envelope.RequestID != in.RequestID {
					t.Errorf("%s has request id %q, want %q", o.Envelope.Type, o.Envelope.RequestID, in.RequestID)
				}
				if !o.Envelope.Time.Equal(t0) {
					t.Errorf("%s stamped %s, want the decider's clock %s", o.Envelope.Type, o.Envelope.Time, t0)
				}
			}

			dec := sealed(t, outs)
			if dec.Outcome != tc.outcome || dec.Rule != tc.rule || dec.Role != tc.role {
				t.Errorf("decision %s rule %q role %q, want %s rule %q role %q", dec.Outcome, dec.Rule, dec.Role, tc.outcome, tc.rule, tc.role)
			}
			if tc.reason != "" && dec.Reason != tc.reason {
				t.Errorf("reason %q, want %q", dec.Reason, tc.reason)
			}
			if dec.PolicyHash != u.d.Policy().Hash() || dec.PolicyHash == "" {
				t.Errorf("policy hash %q, want %q", dec.PolicyHash, u.d.Policy().Hash())
			}
			if dec.GrantID != "" || dec.Body != nil {
				t.Errorf("grant %q body %+v on a plain request", dec.GrantID, dec.Body)
			}
			want, _ := schemas.DecodeAs[*schemas.RequestReceived](in)
			model, _ := testModel()
			want.Effects, _ = model.Effects(tc.call.service, tc.call.operation)
			if !reflect.DeepEqual(&dec.Request, want) {
				t.Errorf("decision carries request %+v, want %+v", dec.Request, want)
			}
			if (dec.Hold != nil) != (tc.outcome == schemas.Hold) {
				t.Errorf("hold terms %+v on a %s decision", dec.Hold, dec.Outcome)
			}

			if tc.deny == nil {
				return
			}
			resp := first[*schemas.ResponseReady](t, outs)
			if outs[1].ReplyTo != replica || resp.ReplyTo != replica {
				t.Errorf("reply-to header %q payload %q, want %q", outs[1].ReplyTo, resp.ReplyTo, replica)
			}
			if resp.Outcome != schemas.OutcomeDenied || resp.Response != nil || resp.Error == nil {
				t.Fatalf("response %+v, want a denial", resp)
			}
			if resp.Error.Status != http.StatusForbidden || resp.Error.Code != "AccessDenied" {
				t.Errorf("error %d %s, want 403 AccessDenied", resp.Error.Status, resp.Error.Code)
			}
			mustContain(t, "denial", resp.Error.Message, append(tc.deny, in.RequestID)...)
		})
	}
}

func TestHandleHoldOpensWithTerms(t *testing.T) {
	u := newUnit(t, testPolicy)
	in := received(t, putItem)
	outs := u.handle(t, schemas.TopicRequests, in)
	wantShape(t, outs, "decisions:decision.made", "holds:hold.opened")
	dec := sealed(t, outs)
	want := schemas.HoldTerms{
		Approvers: []string{"sre"},
		Approvals: 2,
		Expires:   t0.Add(10 * time.Minute),
		Grant:     &schemas.GrantTerms{For: 15 * time.Minute, Scope: policy.ScopeCall},
	}
	if dec.Hold == nil || !reflect.DeepEqual(*dec.Hold, want) {
		t.Errorf("decision hold terms %+v, want %+v", dec.Hold, want)
	}
	op := first[*schemas.HoldOpened](t, outs)
	if !reflect.DeepEqual(op.Terms, want) {
		t.Errorf("hold.opened terms %+v, want %+v", op.Terms, want)
	}
	if op.Rule != "table-writes" || op.Reason != "writes need two humans" || op.Role != writerRole || op.Body != nil {
		t.Errorf("hold.opened rule %q reason %q role %q body %+v", op.Rule, op.Reason, op.Role, op.Body)
	}
	if !reflect.DeepEqual(op.Request, dec.Request) {
		t.Errorf("hold.opened request %+v, want the decision's %+v", op.Request, dec.Request)
	}
	if outs[1].ReplyTo != "" {
		t.Errorf("hold.opened carries reply-to %q; only answers do", outs[1].ReplyTo)
	}

	// A hold without a grant says so.
	outs = u.handle(t, schemas.TopicRequests, received(t, stopInst))
	op = first[*schemas.HoldOpened](t, outs)
	if op.Terms.Grant != nil || op.Terms.Approvals != 1 || !op.Terms.Expires.Equal(t0.Add(5*time.Minute)) || op.Role != stopRole {
		t.Errorf("stop hold terms %+v role %q", op.Terms, op.Role)
	}
}

func TestHandleChunkedBodyRef(t *testing.T) {
	cases := []struct {
		name string
		call call
		outs []string
	}{
		{"allow", call{who: bot, service: "s3", operation: "GetObject", readOnly: true, params: `{"Bucket":"b","Key":"k"}`, chunks: 3}, []string{"decisions:decision.made"}},
		{"hold", call{who: bot, service: "dynamodb", operation: "PutItem", params: `{"TableName":"t"}`, chunks: 2}, []string{"decisions:decision.made", "holds:hold.opened"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			u := newUnit(t, testPolicy)
			outs := u.handle(t, schemas.TopicRequests, received(t, tc.call))
			wantShape(t, outs, tc.outs...)
			want := schemas.RecordRef{Topic: "unit.requests", Partition: 2, Offset: 41}
			dec := sealed(t, outs)
			if dec.Body == nil || *dec.Body != want {
				t.Errorf("decision body ref %+v, want %+v", dec.Body, want)
			}
			if len(outs) > 1 {
				if op := first[*schemas.HoldOpened](t, outs); op.Body == nil || *op.Body != want {
					t.Errorf("hold.opened body ref %+v, want %+v", op.Body, want)
				}
			}
		})
	}
}

func TestHandleIgnoresOtherEvents(t *testing.T) {
	u := newUnit(t, testPolicy)
	cases := []struct {
		name  string
		topic string
		p     schemas.Payload
	}{
		{"body chunk", schemas.TopicRequests, &schemas.RequestBodyChunk{Seq: 0, Data: []byte("x")}},
		{"hold.opened", schemas.TopicHolds, &schemas.HoldOpened{Request: *request(putItem, t0), Terms: schemas.HoldTerms{Approvers: []string{"sre"}}}},
		{"hold.approved", schemas.TopicHolds, &schemas.HoldApproved{Approvers: []string{"alice"}}},
		{"hold.justified", schemas.TopicHolds, &schemas.HoldJustified{By: bot, Text: "because"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if outs := u.handle(t, tc.topic, envelope(t, "r1", t0, tc.p)); len(outs) != 0 {
				t.Fatalf("outputs %s, want none", shape(outs))
			}
		})
	}
}

// grantFixture holds putItem, approves it twice and opens its grant, the
// way the decider's own outputs would reach its view.
func grantFixture(t *testing.T, u *unit) (holdReq schemas.Envelope, grant *schemas.GrantOpened) {
	t.Helper()
	holdReq = received(t, putItem)
	u.applyOuts(t, u.handle(t, schemas.TopicRequests, holdReq))
	var outs []bus.Output
	for _, by := range []schemas.Principal{alice, bob} {
		a := envelope(t, holdReq.RequestID, t0.Add(time.Minute), approval(by))
		u.apply(t, a)
		outs = u.handle(t, schemas.TopicHolds, a)
		u.applyOuts(t, outs)
	}
	return holdReq, first[*schemas.GrantOpened](t, outs)
}

func TestGrantsComeBeforeRules(t *testing.T) {
	otherParams := putItem
	otherParams.params = `{"TableName":"orders","Item":{"id":{"S":"2"}}}`
	otherRegion := putItem
	otherPrincipal := putItem
	otherPrincipal.who = bot2
	sameSubjectOtherIssuer := putItem
	sameSubjectOtherIssuer.who = schemas.Principal{Subject: "bot", Issuer: "https://other.example", Groups: bot.Groups}

	cases := []struct {
		name   string
		call   call
		region string
		at     time.Duration // after t0
		revoke bool
		grant  bool // want the grant to let it through
	}{
		{name: "same call", call: putItem, at: 2 * time.Minute, grant: true},
		{name: "same call, last moment", call: putItem, at: 15*time.Minute + time.Minute - time.Nanosecond, grant: true},
		{name: "other params", call: otherParams, at: 2 * time.Minute},
		{name: "other region", call: otherRegion, region: "us-east-1", at: 2 * time.Minute},
		{name: "other principal", call: otherPrincipal, at: 2 * time.Minute},
		{name: "same subject, other issuer", call: sameSubjectOtherIssuer, at: 2 * time.Minute},
		{name: "expired", call: putItem, at: 16 * time.Minute},
		{name: "revoked", call: putItem, at: 2 * time.Minute, revoke: true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			u := newUnit(t, testPolicy)
			holdReq, g := grantFixture(t, u)
			if g.Principal.Subject != bot.Subject || !g.Expires.Equal(t0.Add(16*time.Minute)) {
				t.Fatalf("grant %+v", g)
			}
			if tc.revoke {
				u.apply(t, envelope(t, g.RequestID, t0.Add(time.Minute), &schemas.GrantRevoked{GrantID: g.GrantID, By: alice, Reason: "done"}))
			}
			now := t0.Add(tc.at)
			u.clk.Set(now)
			req := request(tc.call, now.Add(30*time.Second))
			if tc.region != "" {
				req.Region = tc.region
			}
			in := envelope(t, "retry-1", now, req)
			outs := u.handle(t, schemas.TopicRequests, in)
			dec := sealed(t, outs)
			if !tc.grant {
				// The rules decide: table-writes holds it again.
				if dec.Outcome != schemas.Hold || dec.Rule != "table-writes" || dec.GrantID != "" {
					t.Fatalf("decision %s rule %q grant %q, want the rules' hold", dec.Outcome, dec.Rule, dec.GrantID)
				}
				return
			}
			wantShape(t, outs, "decisions:decision.made")
			if dec.Outcome != schemas.Allow || dec.Rule != "grant:"+g.GrantID || dec.GrantID != g.GrantID {
				t.Fatalf("decision %s rule %q grant %q, want allow through grant %s", dec.Outcome, dec.Rule, dec.GrantID, g.GrantID)
			}
			if dec.Role != writerRole {
				t.Errorf("role %q, want the held rule's %q", dec.Role, writerRole)
			}
			if dec.Hold != nil || dec.Request.Params == nil || holdReq.RequestID == in.RequestID {
				t.Errorf("decision %+v", dec)
			}
			mustContain(t, "reason", dec.Reason, g.GrantID, "alice ("+iss+")", "bob ("+iss+")")
		})
	}
}

// TestGrantDoesNotWidenToOtherCalls: a call grant never covers a call the
// rules would treat differently (a read of the same table still goes to the
// rules, which allow it by their own rule).
func TestGrantDoesNotWidenToOtherCalls(t *testing.T) {
	u := newUnit(t, testPolicy)
	grantFixture(t, u)
	u.clk.Set(t0.Add(2 * time.Minute))
	dec := sealed(t, u.handle(t, schemas.TopicRequests, receivedAt(t, getItem, u.clk.Now())))
	if dec.Rule != "reads" || dec.GrantID != "" {
		t.Fatalf("decision rule %q grant %q, want the rule reads", dec.Rule, dec.GrantID)
	}
	var params map[string]any
	if err := json.Unmarshal(dec.Request.Params, &params); err != nil || params["TableName"] != "orders" {
		t.Fatalf("params %s: %v", dec.Request.Params, err)
	}
}

// TestLateRequestIsNotRun: a request decided after its agent stopped
// waiting (a decider catching up) is not allowed to run: the ingress has
// already told the agent it was not executed. Holds still open, so an
// approval can let the retry through.
func TestLateRequestIsNotRun(t *testing.T) {
	cases := []struct {
		name    string
		call    call
		grant   bool
		outcome schemas.Outcome
		rule    string
	}{
		{name: "allowed by a rule", call: getItem, outcome: schemas.Deny, rule: ""},
		{name: "allowed by a grant", call: putItem, grant: true, outcome: schemas.Deny, rule: ""},
		{name: "held", call: putItem, outcome: schemas.Hold, rule: "table-writes"},
		{name: "denied", call: delBucket, outcome: schemas.Deny, rule: "no-deletes"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			u := newUnit(t, testPolicy)
			if tc.grant {
				grantFixture(t, u)
			}
			at := t0.Add(2 * time.Minute)
			in := receivedAt(t, tc.call, at)
			u.clk.Set(at.Add(31 * time.Second)) // the agent waited 30s
			outs := u.handle(t, schemas.TopicRequests, in)
			dec := sealed(t, outs)
			if dec.Outcome != tc.outcome || dec.Rule != tc.rule || dec.GrantID != "" {
				t.Fatalf("late decision %s rule %q grant %q, want %s rule %q", dec.Outcome, dec.Rule, dec.GrantID, tc.outcome, tc.rule)
			}
			if tc.outcome == schemas.Deny && tc.rule == "" {
				wantShape(t, outs, "decisions:decision.made", "responses:response.ready")
				mustContain(t, "reason", dec.Reason, "allowed the call", "stopped waiting", "not run")
			}
			// At the deadline itself the agent still waits.
			u.clk.Set(at.Add(30 * time.Second))
			if dec := sealed(t, u.handle(t, schemas.TopicRequests, receivedAt(t, tc.call, at))); tc.rule == "" && dec.Outcome != schemas.Allow {
				t.Fatalf("decision at the deadline %s, want allow", dec.Outcome)
			}
		})
	}
}

// A call the ingress answered itself is published only for the record.
func TestAnsweredCallsAreNotDecided(t *testing.T) {
	u := newUnit(t, allowAllPolicy)
	r := request(call{who: bot, service: "sts", operation: "GetCallerIdentity"}, t0.Add(30*time.Second))
	r.Answered = true
	if outs := u.handle(t, schemas.TopicRequests, envelope(t, "answered-1", t0, r)); len(outs) != 0 {
		t.Fatalf("an answered call produced %s", shape(outs))
	}
}

// A request.received that no ingress sealed (written straight to the
// requests topic, or altered on the way) is not judged: it could name any
// principal. It yields only a security.refused event.
func TestForgedRequestIsNotJudged(t *testing.T) {
	u := newUnit(t, testPolicy)
	tests := []struct {
		name  string
		forge func(env *schemas.Envelope)
	}{
		{"unsealed", func(env *schemas.Envelope) { env.Auth = "" }},
		{"principal altered after sealing", func(env *schemas.Envelope) {
			env.Payload = []byte(strings.Replace(string(env.Payload), `"sub":"bot"`, `"sub":"admin"`, 1))
		}},
		{"sealed under another key", func(env *schemas.Envelope) {
			if err := schemas.Seal(env, []byte("not-the-holds-key-0123456789")); err != nil {
				t.Fatal(err)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := received(t, getItem)
			tt.forge(&env)
			outs := u.handle(t, schemas.TopicRequests, env)
			wantShape(t, outs, "security:security.refused")
			r := first[*schemas.SecurityRefused](t, outs)
			if r.Kind != schemas.SecurityForgedEvent || r.Stage != "decider" || r.EventID != env.ID {
				t.Fatalf("refusal %+v", r)
			}
		})
	}
}
