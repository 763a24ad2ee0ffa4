package holds

import (
	"encoding/json"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/jitgate/jitgate/schemas"
)

// openGrant approves a hold on req with one approval by alice and applies
// the grant NewGrant builds, opened at t0.
func openGrant(tb testing.TB, s *Store, id string, req schemas.RequestReceived, g *schemas.GrantTerms) *schemas.GrantOpened {
	tb.Helper()
	h := Hold{RequestID: "r-" + id, Request: req, Rule: "rule", Terms: terms(1, g), State: StateApproved}
	p, err := NewGrant(h, []Approval{{By: alice, At: t0}}, id, t0)
	if err != nil || p == nil {
		tb.Fatalf("NewGrant: %v, %v", p, err)
	}
	applyAll(tb, s, envelopes(tb, []ev{{id: "open-" + id, req: h.RequestID, p: p}}))
	return p
}

func TestMatchGrant(t *testing.T) {
	s3get := request(requester, `{"Bucket":"logs","Key":"a/b.txt","Range":"bytes=0-10"}`)
	rds := request(requester, `{"DBInstanceIdentifier":"staging","SkipFinalSnapshot":true}`)
	rds.Service, rds.Operation = "rds", "DeleteDBInstance"
	ddb := request(requester, `{"TableName":"orders","Key":{"id":{"S":"1"}}}`)
	ddb.Service, ddb.Operation = "dynamodb", "GetItem"
	assume := request(requester, `{"RoleArn":"arn:aws:iam::1:role/x","RoleSessionName":"s"}`)
	assume.Service, assume.Operation = "sts", "AssumeRole"

	params := func(p string) func(*schemas.RequestReceived) {
		return func(r *schemas.RequestReceived) { r.Params = json.RawMessage(p) }
	}
	cases := []struct {
		name    string
		scope   string
		match   string
		held    schemas.RequestReceived
		req     func(*schemas.RequestReceived) // changes to the held request; nil = same
		now     time.Duration
		revoke  bool
		want    bool
		wantErr bool
	}{
		{name: "call: same call", scope: "call", held: s3get, want: true},
		{name: "call: same params reordered and spaced", scope: "call", held: s3get,
			req: params(` { "Range":"bytes=0-10", "Key":"a/b.txt" ,"Bucket":"logs"}`), want: true},
		{name: "call: other params", scope: "call", held: s3get, req: params(`{"Bucket":"logs","Key":"a/b.txt","Range":"bytes=0-11"}`)},
		{name: "call: other principal", scope: "call", held: s3get, req: func(r *schemas.RequestReceived) { r.Principal = mallory }},
		{name: "call: same subject, other issuer", scope: "call", held: s3get, req: func(r *schemas.RequestReceived) { r.Principal = botElsewhere }},
		{name: "call: other groups, same person", scope: "call", held: s3get,
			req: func(r *schemas.RequestReceived) { r.Principal.Groups = []string{"x"} }, want: true},
		{name: "call: other region", scope: "call", held: s3get, req: func(r *schemas.RequestReceived) { r.Region = "us-east-1" }},
		{name: "call: other role", scope: "call", held: s3get, req: func(r *schemas.RequestReceived) { r.Role = "arn:aws:iam::999:role/reader" }},
		{name: "call: other operation", scope: "call", held: s3get, req: func(r *schemas.RequestReceived) { r.Operation = "DeleteObject" }},
		{name: "call: unparsable params", scope: "call", held: s3get, req: params(`[1`), wantErr: true},
		{name: "call: just before expiry", scope: "call", held: s3get, now: 10*time.Minute - 1, want: true},
		{name: "call: at expiry", scope: "call", held: s3get, now: 10 * time.Minute},
		{name: "call: revoked", scope: "call", held: s3get, revoke: true},

		{name: "operation: other non-resource params", scope: "operation", held: s3get,
			req: params(`{"Bucket":"logs","Key":"a/b.txt","Range":"bytes=5-9"}`), want: true},
		{name: "operation: other key", scope: "operation", held: s3get, req: params(`{"Bucket":"logs","Key":"a/c.txt"}`)},
		{name: "operation: other bucket", scope: "operation", held: s3get, req: params(`{"Bucket":"logs2","Key":"a/b.txt"}`)},
		{name: "operation: other region", scope: "operation", held: s3get, req: func(r *schemas.RequestReceived) { r.Region = "us-east-1" }},
		{name: "operation: other principal", scope: "operation", held: s3get, req: func(r *schemas.RequestReceived) { r.Principal = mallory }},
		{name: "operation: unknown service, same identifier", scope: "operation", held: rds,
			req: params(`{"DBInstanceIdentifier":"staging"}`), want: true},
		{name: "operation: unknown service, other identifier", scope: "operation", held: rds,
			req: params(`{"DBInstanceIdentifier":"prod","SkipFinalSnapshot":true}`)},
		{name: "operation: same table, other item", scope: "operation", held: ddb,
			req: params(`{"TableName":"orders","Key":{"id":{"S":"2"}}}`), want: true},
		{name: "operation: other table", scope: "operation", held: ddb,
			req: params(`{"TableName":"users","Key":{"id":{"S":"1"}}}`)},

		{name: "expr: true for another operation", scope: "expr", match: `service == "s3" && resources.bucket == "logs"`, held: s3get,
			req: func(r *schemas.RequestReceived) {
				r.Operation = "PutObject"
				r.Params = json.RawMessage(`{"Bucket":"logs","Key":"z"}`)
			}, want: true},
		{name: "expr: false", scope: "expr", match: `service == "s3" && resources.bucket == "logs"`, held: s3get,
			req: params(`{"Bucket":"other"}`)},
		{name: "expr: other principal", scope: "expr", match: `true`, held: s3get, req: func(r *schemas.RequestReceived) { r.Principal = mallory }},
		{name: "expr: never another credential-minting operation", scope: "expr", match: `true`, held: s3get,
			req: func(r *schemas.RequestReceived) { *r = assume }},
		{name: "expr: the held credential-minting operation", scope: "expr", match: `true`, held: assume, want: true},
		{name: "expr: run-time error counts as no match", scope: "expr", match: `params.Size > 3`, held: s3get, wantErr: true},
		{name: "expr: after expiry", scope: "expr", match: `true`, held: s3get, now: time.Hour},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := NewStore(testKey)
			g := openGrant(t, s, "g1", tc.held, &schemas.GrantTerms{For: 10 * time.Minute, Scope: tc.scope, Match: tc.match})
			if tc.revoke {
				applyAll(t, s, envelopes(t, []ev{{id: "rv", p: &schemas.GrantRevoked{GrantID: g.GrantID, By: requester}}}))
			}
			req := tc.held
			if tc.req != nil {
				tc.req(&req)
			}
			got, ok, err := s.MatchGrant(&req, t0.Add(tc.now))
			if ok != tc.want || (ok && got.GrantID != "g1") {
				t.Errorf("MatchGrant = %v %q, want %v", ok, got.GrantID, tc.want)
			}
			if (err != nil) != tc.wantErr {
				t.Errorf("MatchGrant error = %v, want error %v", err, tc.wantErr)
			}
		})
	}
}

func TestMatchGrantOrder(t *testing.T) {
	s := NewStore(testKey)
	held := request(requester, `{"Bucket":"logs","Key":"k"}`)
	openGrant(t, s, "long", held, &schemas.GrantTerms{For: 30 * time.Minute, Scope: "call"})
	openGrant(t, s, "short", held, &schemas.GrantTerms{For: 5 * time.Minute, Scope: "operation"})
	openGrant(t, s, "mid", held, &schemas.GrantTerms{For: 10 * time.Minute, Scope: "expr", Match: `true`})
	openGrant(t, s, "other", request(alice, `{}`), &schemas.GrantTerms{For: time.Minute, Scope: "call"})

	steps := []struct {
		name string
		now  time.Duration
		want string
	}{
		{"earliest first", 0, "short"},
		{"after the first expired", 5 * time.Minute, "mid"},
		{"last one", 20 * time.Minute, "long"},
		{"none", 30 * time.Minute, ""},
	}
	for _, st := range steps {
		g, ok, err := s.MatchGrant(&held, t0.Add(st.now))
		if err != nil || ok != (st.want != "") || g.GrantID != st.want {
			t.Errorf("%s: got %q %v %v, want %q", st.name, g.GrantID, ok, err, st.want)
		}
	}
	var ids []string
	for _, g := range s.Grants(t0) {
		ids = append(ids, g.GrantID)
	}
	if want := []string{"other", "short", "mid", "long"}; !slices.Equal(ids, want) {
		t.Errorf("Grants = %v, want %v", ids, want)
	}
	applyAll(t, s, envelopes(t, []ev{{id: "rv", p: &schemas.GrantRevoked{GrantID: "short", By: alice}}}))
	if g, _, _ := s.MatchGrant(&held, t0); g.GrantID != "mid" {
		t.Errorf("after revoking short: %q, want mid", g.GrantID)
	}
	if n := len(s.Grants(t0.Add(10 * time.Minute))); n != 1 {
		t.Errorf("Grants at +10m = %d, want 1", n)
	}
}

func TestRevocationBeforeOpen(t *testing.T) {
	s := NewStore(testKey)
	applyAll(t, s, envelopes(t, []ev{{id: "rv", p: &schemas.GrantRevoked{GrantID: "g1", By: bob, Reason: "oops"}}}))
	held := request(requester, `{}`)
	openGrant(t, s, "g1", held, &schemas.GrantTerms{For: time.Hour, Scope: "call"})
	g, ok := s.Grant("g1")
	if !ok || !g.Revoked || g.RevokedReason != "oops" || g.ActiveAt(t0) {
		t.Errorf("grant = %+v", g)
	}
	if _, ok, _ := s.MatchGrant(&held, t0); ok {
		t.Error("revoked grant matched")
	}
}

func TestCheckRevoke(t *testing.T) {
	s := NewStore(testKey)
	held := request(requester, `{}`)
	// r-g1 is a known hold whose approvers are sre and secops; g1 was
	// approved by dave, who is in neither group.
	dave := schemas.Principal{Subject: "dave", Issuer: iss, Groups: []string{"dev"}}
	applyAll(t, s, envelopes(t, []ev{{id: "open", req: "r-g1", p: opened(held, terms(1, &schemas.GrantTerms{For: time.Hour}))}}))
	p, err := NewGrant(Hold{RequestID: "r-g1", Request: held, Terms: terms(1, &schemas.GrantTerms{For: time.Hour})},
		[]Approval{{By: dave}}, "g1", t0)
	if err != nil {
		t.Fatal(err)
	}
	orphan := *p
	orphan.GrantID, orphan.RequestID = "g2", "r-unknown"
	applyAll(t, s, envelopes(t, []ev{{id: "g1", p: p}, {id: "g2", p: &orphan}}))
	openGrant(t, s, "g3", held, &schemas.GrantTerms{For: time.Hour})
	applyAll(t, s, envelopes(t, []ev{{id: "rv3", p: &schemas.GrantRevoked{GrantID: "g3", By: requester}}}))

	cases := []struct {
		name  string
		grant string
		by    schemas.Principal
		now   time.Duration
		want  error
	}{
		{"grantee", "g1", requester, 0, nil},
		{"grantee with other groups", "g1", schemas.Principal{Subject: "bot", Issuer: iss}, 0, nil},
		{"approver of the grant", "g1", dave, 0, nil},
		{"member of the hold's approver groups", "g1", carol, 0, nil},
		{"someone else", "g1", mallory, 0, ErrNotAllowedToRevoke},
		{"grantee's subject at another issuer", "g1", schemas.Principal{Subject: "bot", Issuer: "https://other.example"}, 0, ErrNotAllowedToRevoke},
		{"group member, hold unknown", "g2", alice, 0, ErrNotAllowedToRevoke},
		{"approver, hold unknown", "g2", dave, 0, nil},
		{"expired", "g1", requester, time.Hour, ErrGrantInactive},
		{"revoked", "g3", requester, 0, ErrGrantInactive},
		{"unknown", "nope", requester, 0, ErrGrantNotFound},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := s.CheckRevoke(tc.grant, tc.by, t0.Add(tc.now))
			if (tc.want == nil) != (err == nil) || (tc.want != nil && !errors.Is(err, tc.want)) {
				t.Errorf("CheckRevoke = %v, want %v", err, tc.want)
			}
		})
	}
}

func TestNewGrant(t *testing.T) {
	held := request(requester, `{"Bucket":"logs"}`)
	hold := func(n int, g *schemas.GrantTerms) Hold {
		return Hold{RequestID: "r1", Request: held, Rule: "rule", Terms: terms(n, g)}
	}
	by := func(fors ...time.Duration) []Approval {
		people := []schemas.Principal{alice, bob, carol}
		var out []Approval
		for i, f := range fors {
			out = append(out, Approval{By: people[i], For: f})
		}
		return out
	}
	hour := &schemas.GrantTerms{For: time.Hour, Scope: "operation"}
	cases := []struct {
		name      string
		hold      Hold
		approvals []Approval
		wantNil   bool
		wantFor   time.Duration
		wantErr   error
	}{
		{name: "rule's length", hold: hold(1, hour), approvals: by(0), wantFor: time.Hour},
		{name: "shortest approver wins", hold: hold(3, hour), approvals: by(45*time.Minute, 0, 30*time.Minute), wantFor: 30 * time.Minute},
		{name: "never longer than the rule", hold: hold(1, hour), approvals: by(2 * time.Hour), wantFor: time.Hour},
		{name: "no grant", hold: hold(1, nil), approvals: by(0), wantNil: true},
		{name: "too few approvals", hold: hold(2, hour), approvals: by(0), wantErr: ErrBadGrant},
		{name: "unknown scope", hold: hold(1, &schemas.GrantTerms{For: time.Hour, Scope: "bucket"}), approvals: by(0), wantErr: ErrBadGrant},
		{name: "bad expression", hold: hold(1, &schemas.GrantTerms{For: time.Hour, Scope: "expr", Match: "nosuchfield"}), approvals: by(0), wantErr: ErrBadGrant},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			g, err := NewGrant(tc.hold, tc.approvals, "g1", t0)
			if tc.wantErr != nil || err != nil {
				if !errors.Is(err, tc.wantErr) {
					t.Fatalf("err = %v, want %v", err, tc.wantErr)
				}
				return
			}
			if (g == nil) != tc.wantNil {
				t.Fatalf("grant = %+v, want nil %v", g, tc.wantNil)
			}
			if g == nil {
				return
			}
			if got := g.Expires.Sub(t0); got != tc.wantFor {
				t.Errorf("length = %s, want %s", got, tc.wantFor)
			}
			if g.Principal.Subject != "bot" || g.RequestID != "r1" || g.Service != "s3" || g.Role != held.Role ||
				len(g.ApprovedBy) != len(tc.approvals) || g.ApprovedBy[0] != Identity(alice) {
				t.Errorf("grant = %+v", g)
			}
		})
	}
	if g, err := NewGrant(hold(1, &schemas.GrantTerms{For: time.Hour}), by(0), "", t0); err != nil || g.GrantID == "" || g.Scope != "call" {
		t.Errorf("default id and scope: %+v %v", g, err)
	}
}
