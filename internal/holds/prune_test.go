package holds

import (
	"testing"
	"time"

	"github.com/jitgate/jitgate/schemas"
)

// TestPruneKeepsViewsBounded: ended holds, expired grants and old event
// ids leave the view once the log has moved a retention past them; what
// is still pending, active, or needed to keep a revocation is kept.
func TestPruneKeepsViewsBounded(t *testing.T) {
	s := NewStore(testKey)
	s.SetRetention(2 * time.Hour)
	grant := &schemas.GrantTerms{For: 30 * time.Minute, Scope: "call"}
	applyAll(t, s, envelopes(t, []ev{
		// r1: approved at once, opens g1 for 30 minutes.
		{req: "r1", p: opened(request(requester, `{"Bucket":"a"}`), terms(1, grant))},
		{req: "r1", at: time.Minute, p: approve(alice, 0)},
		{req: "r1", at: time.Minute, p: &schemas.HoldApproved{Approvers: []string{Identity(alice)}, GrantID: "g1"}},
		{req: "r1", at: time.Minute, p: &schemas.GrantOpened{GrantID: "g1", RequestID: "r1", Principal: requester, Scope: "call",
			Service: "s3", Operation: "GetObject", Params: []byte(`{}`), Expires: t0.Add(31 * time.Minute)}},
		// r2: denied.
		{req: "r2", p: opened(request(requester, `{"Bucket":"b"}`), terms(1, nil))},
		{req: "r2", at: 2 * time.Minute, p: &schemas.HoldDenied{By: alice, Reason: "no"}},
		// g-long: revoked at once, but valid for three days by its terms.
		{id: "open-long", req: "r9", p: &schemas.GrantOpened{GrantID: "g-long", RequestID: "r9", Principal: requester, Scope: "call",
			Service: "s3", Operation: "GetObject", Params: []byte(`{}`), Expires: t0.Add(72 * time.Hour)}},
		{req: "r9", p: &schemas.GrantRevoked{GrantID: "g-long", By: alice, Reason: "too long"}},
	}))
	// Three hours later (past every end plus the retention, except
	// g-long's), a new hold opens: applying it prunes.
	late := terms(1, nil)
	late.Expires = t0.Add(4 * time.Hour)
	applyAll(t, s, envelopes(t, []ev{{id: "late", req: "r3", at: 3 * time.Hour, p: opened(request(requester, `{"Bucket":"c"}`), late)}}))

	for _, id := range []string{"r1", "r2"} {
		if _, ok := s.Hold(id); ok {
			t.Errorf("hold %s still in view three hours after it ended", id)
		}
	}
	if _, ok := s.Grant("g1"); ok {
		t.Error("grant g1 still in view long after it expired")
	}
	if _, ok := s.Hold("r3"); !ok {
		t.Error("the pending hold r3 was pruned")
	}
	if g, ok := s.Grant("g-long"); !ok || !g.Revoked {
		t.Fatalf("revoked grant g-long (valid by its terms for days) left the view: %+v %v", g, ok)
	}
	if s.Seen("e1") { // r1's approval, a retention behind
		t.Error("an old event id is still remembered")
	}
	// The authentic grant.opened of g-long, published again by someone
	// who can write to Kafka, must not reopen it.
	again := envelopes(t, []ev{{id: "open-long", req: "r9", p: &schemas.GrantOpened{GrantID: "g-long", RequestID: "r9", Principal: requester,
		Scope: "call", Service: "s3", Operation: "GetObject", Params: []byte(`{}`), Expires: t0.Add(72 * time.Hour)}}})
	applyAll(t, s, again)
	if g, _ := s.Grant("g-long"); !g.Revoked {
		t.Fatal("a replayed grant.opened reopened a revoked grant")
	}
	if n := len(s.grants) + len(s.holds); n != 2 {
		t.Errorf("%d entries in view, want the pending hold and the revoked long grant", n)
	}
}

// TestPruneKeepsTheHoldOfAnActiveGrant: the decider reads a grant's hold
// (its role) for as long as the grant lets calls through.
func TestPruneKeepsTheHoldOfAnActiveGrant(t *testing.T) {
	s := NewStore(testKey)
	s.SetRetention(time.Hour)
	grant := &schemas.GrantTerms{For: 48 * time.Hour, Scope: "operation"}
	applyAll(t, s, envelopes(t, []ev{
		{req: "r1", p: opened(request(requester, `{}`), terms(1, grant))},
		{req: "r1", at: time.Minute, p: &schemas.HoldApproved{Approvers: []string{Identity(alice)}, GrantID: "g1"}},
		{req: "r1", at: time.Minute, p: &schemas.GrantOpened{GrantID: "g1", RequestID: "r1", Principal: requester, Scope: "operation",
			Service: "s3", Operation: "GetObject", Params: []byte(`{}`), Expires: t0.Add(48 * time.Hour)}},
		{req: "r2", at: 5 * time.Hour, p: opened(request(requester, `{}`), terms(1, nil))},
	}))
	if _, ok := s.Hold("r1"); !ok {
		t.Fatal("the hold of an active grant was pruned")
	}
}
