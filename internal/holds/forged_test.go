package holds

import (
	"errors"
	"testing"
	"time"

	"github.com/jitgate/jitgate/schemas"
)

// TestApplyRefusesForgedEvents writes each authority event as someone
// without the holds key (or with it, as the wrong role) would: every one
// is refused with a *ForgedError, changes nothing, and does not count as
// seen, so no forged approval, resolution or grant can lead to an allow.
func TestApplyRefusesForgedEvents(t *testing.T) {
	wrongKey := []byte("not-the-holds-key-0123456789abcd")
	held := request(requester, `{"Bucket":"b","Key":"k"}`)
	grantOpen := &schemas.GrantOpened{GrantID: "gx", RequestID: "r1", Principal: requester, Scope: "expr", Match: "true",
		Service: "s3", Operation: "GetObject", Expires: t0.Add(time.Hour), ApprovedBy: []string{"alice"}}
	unsealed := func(tb testing.TB, e ev) schemas.Envelope {
		env, err := schemas.NewEnvelope(e.id, "r1", "ingress/x", t0.Add(time.Minute), e.p)
		if err != nil {
			tb.Fatal(err)
		}
		return env
	}
	otherKey := func(tb testing.TB, e ev) schemas.Envelope { return sealWith(tb, unsealed(tb, e), wrongKey) }
	asRole := func(role string) func(testing.TB, ev) schemas.Envelope {
		return func(tb testing.TB, e ev) schemas.Envelope {
			env := unsealed(tb, e)
			env.Producer = schemas.ProducerName(role, "x")
			if err := schemas.Seal(&env, testKey); err != nil {
				tb.Fatal(err)
			}
			return env
		}
	}
	// rewrapped is an authentic approval of another hold, moved onto r1.
	rewrapped := func(tb testing.TB, e ev) schemas.Envelope {
		env := envelope(tb, ev{id: e.id, req: "r2", at: time.Minute, p: e.p}, 0)
		env.RequestID = "r1"
		return env
	}
	tests := []struct {
		name  string
		p     schemas.Payload
		forge func(testing.TB, ev) schemas.Envelope
		want  error
	}{
		{"approval, unsealed", approve(alice, 0), unsealed, schemas.ErrBadAuth},
		{"approval, another key", approve(alice, 0), otherKey, schemas.ErrBadAuth},
		{"approval, written as a decider", approve(alice, 0), asRole(schemas.RoleDecider), schemas.ErrWrongProducer},
		{"approval, rewrapped from another hold", approve(alice, 0), rewrapped, schemas.ErrBadAuth},
		{"hold.approved, unsealed", &schemas.HoldApproved{Approvers: []string{"alice"}, GrantID: "gx"}, unsealed, schemas.ErrBadAuth},
		{"hold.approved, written as an ingress", &schemas.HoldApproved{Approvers: []string{"alice"}, GrantID: "gx"}, asRole(schemas.RoleIngress), schemas.ErrWrongProducer},
		{"grant.opened scope true, unsealed", grantOpen, unsealed, schemas.ErrBadAuth},
		{"grant.opened scope true, written as an ingress", grantOpen, asRole(schemas.RoleIngress), schemas.ErrWrongProducer},
		{"hold.denied, another key", &schemas.HoldDenied{By: alice, Reason: "no"}, otherKey, schemas.ErrBadAuth},
		{"hold.expired, unsealed", &schemas.HoldExpired{}, unsealed, schemas.ErrBadAuth},
		{"hold.justified, unsealed", &schemas.HoldJustified{By: requester, Text: "trust me"}, unsealed, schemas.ErrBadAuth},
		{"hold.opened, unsealed", opened(held, terms(1, nil)), unsealed, schemas.ErrBadAuth},
		{"grant.revoked, unsealed", &schemas.GrantRevoked{GrantID: "g1", By: requester}, unsealed, schemas.ErrBadAuth},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := NewStore(testKey)
			// r1: a pending hold needing one approval; g1: a real grant.
			applyAll(t, s, envelopes(t, []ev{{id: "open", p: opened(held, terms(1, &schemas.GrantTerms{For: time.Hour, Scope: "call"}))}}))
			g := openGrant(t, s, "g1", request(requester, `{"Bucket":"other"}`), &schemas.GrantTerms{For: time.Hour, Scope: "call"})
			before := snapshot(s, nil, t0.Add(2*time.Minute))

			env := tc.forge(t, ev{id: "forged", p: tc.p})
			err := s.Apply(env)
			var fe *ForgedError
			if !errors.As(err, &fe) || !errors.Is(err, ErrForged) || !errors.Is(err, tc.want) {
				t.Fatalf("Apply = %v, want a *ForgedError wrapping %v", err, tc.want)
			}
			if fe.EventID != "forged" || fe.Type != tc.p.EventType() {
				t.Errorf("ForgedError names %q %s", fe.EventID, fe.Type)
			}
			if s.Seen("forged") {
				t.Error("forged event counts as seen")
			}
			if after := snapshot(s, nil, t0.Add(2*time.Minute)); after != before {
				t.Errorf("state changed:\nbefore %s\nafter  %s", before, after)
			}
			if h, _ := s.Hold("r1"); h.State != StatePending || h.GrantID != "" || len(h.Approvals) != 0 {
				t.Errorf("hold = %+v, want pending and untouched", h)
			}
			if _, ok := s.Grant("gx"); ok {
				t.Error("forged grant opened")
			}
			if gr, _ := s.Grant(g.GrantID); gr.Revoked {
				t.Error("forged revocation applied")
			}
			if m, ok, _ := s.MatchGrant(&held, t0.Add(2*time.Minute)); ok {
				t.Errorf("held call matched grant %s", m.GrantID)
			}
		})
	}
}

// TestForgedCopyDoesNotShadowTheAuthenticEvent: a forged event that takes
// the id of an authentic one before it arrives does not make the store
// ignore the authentic event.
func TestForgedCopyDoesNotShadowTheAuthenticEvent(t *testing.T) {
	s := NewStore(testKey)
	applyAll(t, s, envelopes(t, []ev{{id: "open", p: opened(request(requester, `{}`), terms(1, nil))}}))
	forged, err := schemas.NewEnvelope("a1", "r1", "ingress/x", t0.Add(time.Minute), &schemas.HoldDenied{By: alice, Reason: "no"})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Apply(forged); !errors.Is(err, ErrForged) {
		t.Fatalf("Apply forged = %v", err)
	}
	applyAll(t, s, envelopes(t, []ev{{id: "a1", at: time.Minute, p: approve(alice, 0)}}))
	if h, _ := s.Hold("r1"); h.State != StateApproved {
		t.Fatalf("hold = %s, want approved by the authentic approval", h.State)
	}
}
