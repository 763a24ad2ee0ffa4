package ingress

import (
	"context"
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jitgate/jitgate/internal/api"
	"github.com/jitgate/jitgate/internal/bus"
	"github.com/jitgate/jitgate/internal/holds"
	"github.com/jitgate/jitgate/schemas"
)

// TestHoldVisibility: a signed-in principal sees a hold (list and show)
// only as its requester or as a member of the rule's approver groups, and a
// grant only as its grantee or an approver of the hold that opened it.
// Everyone else gets the same 404 as for a hold that does not exist.
func TestHoldVisibility(t *testing.T) {
	cfg := startBus(t)
	e := newEnv(t, envOpts{bus: &cfg, noAttach: true})
	now := time.Now()
	held := func(id string, by schemas.Principal, approvers ...string) bus.Output {
		req := schemas.RequestReceived{
			ReplyTo: testReplica, Principal: by, SessionID: "JGIAAAAAAAAAAAAAAAAA", Role: testRole,
			Service: "s3", Operation: "DeleteObject", Protocol: "rest-xml", SigningName: "s3", Region: testRegion,
			Params: json.RawMessage(`{"Bucket":"prod-data","Key":"` + id + `"}`),
			HTTP:   schemas.HTTPRequest{Method: http.MethodDelete, Path: "/prod-data/" + id},
		}
		return output(t, schemas.TopicHolds, id, id, "", now.Add(-time.Minute), &schemas.HoldOpened{Request: req, Rule: "prod-writes",
			Reason: "prod", Terms: schemas.HoldTerms{Approvers: approvers, Approvals: 1, Expires: now.Add(time.Hour)}})
	}
	grant := func(id, requestID string, to schemas.Principal, approvedBy schemas.Principal) bus.Output {
		return output(t, schemas.TopicGrants, id, requestID, "", now, &schemas.GrantOpened{
			GrantID: id, RequestID: requestID, Principal: to, Scope: "call", Service: "s3", Operation: "DeleteObject",
			Params: json.RawMessage(`{"params":{},"region":"` + testRegion + `"}`), Expires: now.Add(time.Hour),
			ApprovedBy: []string{holds.Identity(approvedBy)},
		})
	}
	agent1, agent2 := e.principal("agent-1", "agents"), e.principal("agent-2", "agents")
	alice, dana := e.principal("alice", "approvers"), e.principal("dana", "dbas")
	publishAll(t, cfg,
		held("req-a", agent1, "approvers"),
		held("req-b", agent2, "dbas"),
		grant("g-a", "req-a", agent1, alice),
		grant("g-b", "req-b", agent2, dana),
	)
	e.attach()
	eventually(t, "/readyz", func() bool { s, _ := get(t, e.url+"/readyz"); return s == http.StatusOK })

	ctx := context.Background()
	tests := []struct {
		name   string
		c      *api.Client
		holds  []string
		grants []string
	}{
		{"requester of req-a", e.client("agent-1", "agents"), []string{"req-a"}, []string{"g-a"}},
		{"requester of req-b", e.client("agent-2", "agents"), []string{"req-b"}, []string{"g-b"}},
		{"approver of req-a", e.client("alice", "approvers"), []string{"req-a"}, []string{"g-a"}},
		{"another member of req-a's approver group", e.client("carol", "approvers"), []string{"req-a"}, []string{"g-a"}},
		{"approver of req-b", e.client("dana", "dbas"), []string{"req-b"}, []string{"g-b"}},
		{"member of both groups", e.client("erin", "approvers", "dbas"), []string{"req-a", "req-b"}, []string{"g-a", "g-b"}},
		{"signed-in stranger", e.client("bob", "devs"), nil, nil},
		{"no groups at all", e.client("mallory"), nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pending, err := tt.c.Pending(ctx)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, h := range pending {
				got = append(got, h.ID)
			}
			slices.Sort(got)
			if !slices.Equal(got, tt.holds) {
				t.Errorf("pending %v, want %v", got, tt.holds)
			}
			for _, id := range []string{"req-a", "req-b", "req-none"} {
				h, err := tt.c.Hold(ctx, id)
				if slices.Contains(tt.holds, id) {
					if err != nil || h.ID != id || len(h.Params) == 0 {
						t.Errorf("show %s: %+v %v", id, h, err)
					}
					continue
				}
				// Not visible reads exactly like not there, whatever
				// the caller asks to do with it.
				status, code := apiStatus(t, err)
				if status != http.StatusNotFound || code != "NotFound" || err.Error() != notFound(t, tt.c, ctx, id) {
					t.Errorf("show %s: %d %s %v", id, status, code, err)
				}
				_, err = tt.c.Approve(ctx, id, api.ApproveRequest{})
				if status, code := apiStatus(t, err); status != http.StatusNotFound || code != "NotFound" {
					t.Errorf("approve %s: %d %s %v", id, status, code, err)
				}
				_, err = tt.c.Deny(ctx, id, api.DenyRequest{Reason: "no"})
				if status, code := apiStatus(t, err); status != http.StatusNotFound || code != "NotFound" {
					t.Errorf("deny %s: %d %s %v", id, status, code, err)
				}
			}
			gs, err := tt.c.Grants(ctx)
			if err != nil {
				t.Fatal(err)
			}
			got = nil
			for _, g := range gs {
				got = append(got, g.ID)
			}
			slices.Sort(got)
			if !slices.Equal(got, tt.grants) {
				t.Errorf("grants %v, want %v", got, tt.grants)
			}
		})
	}
}

// notFound is the error text for a hold that does not exist at all, for
// comparing with the answer to a hold the caller may not see.
func notFound(t *testing.T, c *api.Client, ctx context.Context, id string) string {
	t.Helper()
	_, err := c.Hold(ctx, "no-such-"+id)
	if err == nil {
		t.Fatal("a hold that does not exist was found")
	}
	return strings.Replace(err.Error(), "no-such-"+id, id, 1)
}
