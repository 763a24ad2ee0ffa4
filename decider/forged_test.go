package decider

import (
	"testing"
	"time"

	"github.com/jitgate/jitgate/internal/ids"
	"github.com/jitgate/jitgate/schemas"
)

// forged wraps p as someone who can write to Kafka but holds no key would:
// the right producer name, no (or a wrong) authentication code.
func forged(t *testing.T, reqID string, p schemas.Payload) schemas.Envelope {
	t.Helper()
	role, _ := schemas.Writer(p.EventType())
	env, err := schemas.NewEnvelope(ids.New(), reqID, schemas.ProducerName(role, "mallory"), time.Now(), p)
	if err != nil {
		t.Fatal(err)
	}
	if err := schemas.Seal(&env, []byte("a-key-nobody-gave-mallory-012345")); err != nil {
		t.Fatal(err)
	}
	return env
}

// TestStageRefusesForgedHoldsEvents writes forged approvals, resolutions,
// grants and revocations straight to the broker: none leads to an allow,
// none changes the decider's view, and each is recorded as a
// security.refused event.
func TestStageRefusesForgedHoldsEvents(t *testing.T) {
	b := broker(t)
	seen := observe(t, b, nil, schemas.TopicDecisions, schemas.TopicHolds, schemas.TopicGrants)
	security := observe(t, b, nil, schemas.TopicSecurity)
	d, _ := startDecider(t, stageConfig(t, b, "decider-1", testPolicy))
	pub := publisher(t, b)

	// A real grant, opened by two authentic approvals of a held write.
	write := live(t, putItem)
	publish(t, pub, schemas.TopicRequests, write)
	await[*schemas.HoldOpened](t, seen, write.RequestID)
	for _, by := range []schemas.Principal{alice, bob} {
		publish(t, pub, schemas.TopicHolds, envelope(t, write.RequestID, time.Now(), approval(by)))
	}
	real := await[*schemas.GrantOpened](t, seen, write.RequestID)
	// A held stop that only forged events could approve.
	stop := live(t, stopInst)
	publish(t, pub, schemas.TopicRequests, stop)
	await[*schemas.HoldOpened](t, seen, stop.RequestID)

	everything := &schemas.GrantOpened{GrantID: ids.New(), RequestID: stop.RequestID, Principal: bot, Scope: "expr", Match: "true",
		Service: "s3", Operation: "DeleteBucket", Expires: time.Now().Add(time.Hour), ApprovedBy: []string{"alice"}}
	attacks := []struct {
		name  string
		topic string
		env   schemas.Envelope
	}{
		{"forged approval", schemas.TopicHolds, forged(t, stop.RequestID, approval(alice))},
		{"forged hold.approved", schemas.TopicHolds, forged(t, stop.RequestID, &schemas.HoldApproved{Approvers: []string{"alice"}})},
		{"forged grant.opened of scope true", schemas.TopicGrants, forged(t, stop.RequestID, everything)},
		{"forged grant.revoked", schemas.TopicGrants, forged(t, write.RequestID, &schemas.GrantRevoked{GrantID: real.GrantID, By: alice})},
		{"unsealed approval", schemas.TopicHolds, func() schemas.Envelope {
			env := forged(t, stop.RequestID, approval(bob))
			env.Auth = ""
			return env
		}()},
	}
	for _, a := range attacks {
		publish(t, pub, a.topic, a.env)
	}
	for _, a := range attacks {
		t.Run(a.name, func(t *testing.T) {
			waitFor(t, "the refusal of "+a.env.ID, within, func() bool {
				for _, m := range security.all(schemas.TypeSecurityRefused, "") {
					r, err := schemas.DecodeAs[*schemas.SecurityRefused](m.Envelope)
					if err == nil && r.EventID == a.env.ID {
						return r.Kind == schemas.SecurityForgedEvent && r.Stage == "decider" && r.RefusedType == a.env.Type
					}
				}
				return false
			})
		})
	}
	// The decider caught up with everything written above (its own answer
	// to the last forged event is a refusal, seen above); now check what
	// the forged events did not do.
	if h, _ := d.holds.Hold(stop.RequestID); h.State != "pending" || len(h.Approvals) != 0 {
		t.Fatalf("held stop is %s with %d approvals, want pending with none", h.State, len(h.Approvals))
	}
	for _, m := range seen.all(schemas.TypeDecisionMade, stop.RequestID) {
		if dec, _ := schemas.DecodeAs[*schemas.DecisionMade](m.Envelope); dec.Outcome == schemas.Allow {
			t.Fatalf("forged events allowed the held stop: %+v", dec)
		}
	}
	if gr, ok := d.holds.Grant(real.GrantID); !ok || gr.Revoked {
		t.Fatalf("forged revocation applied to %+v", gr)
	}
	// The forged grant of scope true lets nothing through: a delete is
	// judged by the rules and denied.
	del := live(t, delBucket)
	publish(t, pub, schemas.TopicRequests, del)
	if dec := await[*schemas.DecisionMade](t, seen, del.RequestID); dec.Outcome != schemas.Deny || dec.GrantID != "" {
		t.Fatalf("delete after a forged grant: %s grant %q", dec.Outcome, dec.GrantID)
	}
	// The decider writes nothing on the holds log in answer to forgeries
	// (the forged hold.approved itself is on the log, unauthenticated).
	for _, m := range seen.all(schemas.TypeHoldApproved, stop.RequestID) {
		if schemas.Verify(m.Envelope, holdsKey) == nil {
			t.Fatalf("an authentic hold.approved for the held stop: %+v", m.Envelope)
		}
	}
}
