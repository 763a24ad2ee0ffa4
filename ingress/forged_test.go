package ingress

import (
	"context"
	"encoding/json"
	"sync"
	"testing"
	"time"

	"github.com/jitgate/jitgate/internal/api"
	"github.com/jitgate/jitgate/internal/bus"
	"github.com/jitgate/jitgate/internal/ids"
	"github.com/jitgate/jitgate/schemas"
)

// TestForgedHoldsEventsAreRefused writes forged events straight to the
// broker: the approver API's view ignores them (the hold stays pending,
// no grant appears, a real grant is not revoked), each is recorded as a
// security.refused event, and what the API itself writes is sealed.
func TestForgedHoldsEventsAreRefused(t *testing.T) {
	cfg := startBus(t)
	e := newEnv(t, envOpts{bus: &cfg})
	now := time.Now()
	agent := e.principal("agent-1", "agents")
	realGrant := output(t, schemas.TopicGrants, "g-real", "req-old", "", now, &schemas.GrantOpened{
		GrantID: "g-real", RequestID: "req-old", Principal: agent, Scope: "operation",
		Service: "s3", Operation: "GetObject", Params: json.RawMessage(`{"Bucket":"prod-data"}`),
		Expires: now.Add(time.Hour), ApprovedBy: []string{"carol"},
	})
	publishAll(t, cfg, holdFixture(t, e, "req-held", now.Add(time.Hour), nil), realGrant)

	var (
		mu       sync.Mutex
		refusals = map[string]*schemas.SecurityRefused{}
	)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	tail, err := bus.NewTail(ctx, cfg, bus.FromStart, nil, schemas.TopicSecurity)
	if err != nil {
		t.Fatal(err)
	}
	go tail.Run(ctx, nil, func(m bus.Message) {
		if r, err := schemas.DecodeAs[*schemas.SecurityRefused](m.Envelope); err == nil {
			mu.Lock()
			refusals[r.EventID] = r
			mu.Unlock()
		}
	})

	forge := func(topic, reqID string, p schemas.Payload) bus.Output {
		o := output(t, topic, reqID, reqID, "", time.Now(), p)
		o.Envelope.ID = ids.New()
		o.Envelope.Auth = "" // written by someone without the holds key
		return o
	}
	attacks := []bus.Output{
		forge(schemas.TopicHolds, "req-held", &schemas.ApprovalGiven{By: e.principal("alice", "approvers"), Reason: "ok"}),
		forge(schemas.TopicHolds, "req-held", &schemas.HoldApproved{Approvers: []string{"alice"}, GrantID: "g-forged"}),
		forge(schemas.TopicGrants, "g-forged", &schemas.GrantOpened{GrantID: "g-forged", RequestID: "req-held", Principal: agent,
			Scope: "expr", Match: "true", Service: "s3", Operation: "DeleteObject", Expires: now.Add(time.Hour), ApprovedBy: []string{"alice"}}),
		forge(schemas.TopicGrants, "g-real", &schemas.GrantRevoked{GrantID: "g-real", By: e.principal("carol", "approvers")}),
	}
	publishAll(t, cfg, attacks...)
	for _, a := range attacks {
		eventually(t, "the refusal of "+string(a.Envelope.Type), func() bool {
			mu.Lock()
			defer mu.Unlock()
			r := refusals[a.Envelope.ID]
			return r != nil && r.Kind == schemas.SecurityForgedEvent && r.Stage == "ingress" && r.RefusedType == a.Envelope.Type
		})
	}

	alice := e.client("alice", "approvers")
	h, err := alice.Hold(ctx, "req-held")
	if err != nil || h.State != "pending" {
		t.Fatalf("held request after forged approvals: %+v %v", h, err)
	}
	// The grantee sees its grants (approvers see only grants they or their
	// groups gave).
	grants, err := e.client("agent-1", "agents").Grants(ctx)
	if err != nil || len(grants) != 1 || grants[0].ID != "g-real" {
		t.Fatalf("grants after a forged grant and revocation: %+v %v", grants, err)
	}

	// What the API writes is sealed by an ingress and verifies.
	if _, err := alice.Approve(ctx, "req-held", api.ApproveRequest{Reason: "looks fine"}); err != nil {
		t.Fatal(err)
	}
	if h, err := alice.Hold(ctx, "req-held"); err != nil || h.State != "approved" {
		t.Fatalf("held request after an authentic approval: %+v %v", h, err)
	}
}
