package ingress

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/jitgate/jitgate/internal/api"
	"github.com/jitgate/jitgate/internal/bus"
	"github.com/jitgate/jitgate/internal/holds"
	"github.com/jitgate/jitgate/internal/ids"
	"github.com/jitgate/jitgate/internal/session"
	"github.com/jitgate/jitgate/schemas"
)

// The approver API (internal/api has the wire types). Checks run here
// against this replica's view of the holds so that a refusal is immediate
// and clear; the decider checks again before it acts, so a stale view can
// delay but never widen what is allowed.

// Authenticator verifies approvers' and agents' OIDC bearer tokens;
// *sts.Service is one.
type Authenticator interface {
	Authenticate(ctx context.Context, raw string) (session.Principal, error)
}

// applyWait bounds how long an API call waits to see its own event applied.
const applyWait = 5 * time.Second

func (g *Ingress) routeAPI() {
	p := api.Prefix
	g.mux.HandleFunc("GET "+p+"/whoami", g.authed(g.apiWhoami))
	g.mux.HandleFunc("GET "+p+"/holds", g.authed(g.apiPending))
	g.mux.HandleFunc("GET "+p+"/holds/{id}", g.authed(g.apiHold))
	g.mux.HandleFunc("POST "+p+"/holds/{id}/approve", g.authed(g.apiApprove))
	g.mux.HandleFunc("POST "+p+"/holds/{id}/deny", g.authed(g.apiDeny))
	g.mux.HandleFunc("POST "+p+"/holds/{id}/justify", g.authed(g.apiJustify))
	g.mux.HandleFunc("GET "+p+"/grants", g.authed(g.apiGrants))
	g.mux.HandleFunc("POST "+p+"/grants/{id}/revoke", g.authed(g.apiRevoke))
	g.mux.HandleFunc(p+"/", func(w http.ResponseWriter, r *http.Request) {
		apiFail(w, http.StatusNotFound, "NotFound", fmt.Sprintf("no API route %s %s", r.Method, r.URL.Path))
	})
}

type apiHandler func(w http.ResponseWriter, r *http.Request, who schemas.Principal)

// authed verifies the bearer token and waits until the holds view is
// rebuilt from Kafka, so answers never come from a half-read log.
func (g *Ingress) authed(h apiHandler) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		raw, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		if !ok || raw == "" {
			apiFail(w, http.StatusUnauthorized, "Unauthenticated", "no bearer token: pass --token, set JITGATE_TOKEN, or run `jitgate login`")
			return
		}
		p, err := g.deps.Auth.Authenticate(r.Context(), raw)
		if err != nil {
			apiFail(w, http.StatusUnauthorized, "Unauthenticated", "token rejected: "+err.Error())
			return
		}
		select {
		case <-g.holdsReady:
		case <-r.Context().Done():
			return
		case <-time.After(applyWait):
			apiFail(w, http.StatusServiceUnavailable, "NotReady", "the gateway is still reading the holds log; retry in a moment")
			return
		}
		h(w, r, schemas.Principal{Subject: p.Subject, Issuer: p.Issuer, Groups: p.Groups})
	}
}

func (g *Ingress) apiWhoami(w http.ResponseWriter, _ *http.Request, who schemas.Principal) {
	writeJSON(w, http.StatusOK, api.Whoami{Subject: who.Subject, Issuer: who.Issuer, Groups: who.Groups})
}

// Read paths show a principal only the holds and grants it may see (the
// requester, the rule's approvers; see holds.Hold.VisibleTo). A hold it
// may not see answers exactly as one that does not exist.

func (g *Ingress) apiPending(w http.ResponseWriter, _ *http.Request, who schemas.Principal) {
	now := g.deps.Now()
	out := api.Holds{Holds: []api.Hold{}}
	for _, h := range g.holds.PendingFor(who, now) {
		out.Holds = append(out.Holds, holdView(h, now, false, g.deps.Models))
	}
	writeJSON(w, http.StatusOK, out)
}

func (g *Ingress) apiHold(w http.ResponseWriter, r *http.Request, who schemas.Principal) {
	h, ok := g.visibleHold(w, r.PathValue("id"), who)
	if !ok {
		return
	}
	writeJSON(w, http.StatusOK, holdView(h, g.deps.Now(), true, g.deps.Models))
}

// visibleHold finds a hold who may see (its requester, or a member of the
// rule's approver groups). Any other caller gets the same 404 as for a hold
// that does not exist, whatever it asked to do: a refusal that named the
// approver groups would tell strangers the hold exists.
func (g *Ingress) visibleHold(w http.ResponseWriter, id string, who schemas.Principal) (holds.Hold, bool) {
	h, ok := g.holds.HoldFor(id, who)
	if !ok {
		apiFail(w, http.StatusNotFound, "NotFound", fmt.Sprintf("no hold %s (`jitgate pending` lists the open ones you may see)", id))
	}
	return h, ok
}

func (g *Ingress) apiApprove(w http.ResponseWriter, r *http.Request, who schemas.Principal) {
	var in api.ApproveRequest
	if !readJSON(w, r, &in) {
		return
	}
	var forDur time.Duration
	if in.For != "" {
		d, err := time.ParseDuration(in.For)
		if err != nil || d <= 0 {
			apiFail(w, http.StatusBadRequest, "InvalidArgument", fmt.Sprintf("--for %q is not a positive duration such as 15m", in.For))
			return
		}
		forDur = d
	}
	id := r.PathValue("id")
	if _, ok := g.visibleHold(w, id, who); !ok {
		return
	}
	if err := g.holds.CheckApprove(id, who, forDur, g.deps.Now()); err != nil {
		refusal(w, err)
		return
	}
	g.publishHoldEvent(w, r, id, schemas.TopicHolds, id, &schemas.ApprovalGiven{By: who, Reason: in.Reason, For: forDur})
}

func (g *Ingress) apiDeny(w http.ResponseWriter, r *http.Request, who schemas.Principal) {
	var in api.DenyRequest
	if !readJSON(w, r, &in) {
		return
	}
	if strings.TrimSpace(in.Reason) == "" {
		apiFail(w, http.StatusBadRequest, "InvalidArgument", "a denial needs a reason (--reason TEXT): the agent and the audit log see it")
		return
	}
	id := r.PathValue("id")
	if _, ok := g.visibleHold(w, id, who); !ok {
		return
	}
	if err := g.holds.CheckDeny(id, who, g.deps.Now()); err != nil {
		refusal(w, err)
		return
	}
	g.publishHoldEvent(w, r, id, schemas.TopicHolds, id, &schemas.HoldDenied{By: who, Reason: in.Reason})
}

func (g *Ingress) apiJustify(w http.ResponseWriter, r *http.Request, who schemas.Principal) {
	var in api.JustifyRequest
	if !readJSON(w, r, &in) {
		return
	}
	if strings.TrimSpace(in.Text) == "" {
		apiFail(w, http.StatusBadRequest, "InvalidArgument", "the justification is empty")
		return
	}
	id := r.PathValue("id")
	if _, ok := g.visibleHold(w, id, who); !ok {
		return
	}
	if err := g.holds.CheckJustify(id, who, g.deps.Now()); err != nil {
		refusal(w, err)
		return
	}
	g.publishHoldEvent(w, r, id, schemas.TopicHolds, id, &schemas.HoldJustified{By: who, Text: in.Text})
}

func (g *Ingress) apiGrants(w http.ResponseWriter, _ *http.Request, who schemas.Principal) {
	out := api.Grants{Grants: []api.Grant{}}
	for _, gr := range g.holds.GrantsFor(who, g.deps.Now()) {
		out.Grants = append(out.Grants, grantView(gr, g.deps.Models))
	}
	writeJSON(w, http.StatusOK, out)
}

func (g *Ingress) apiRevoke(w http.ResponseWriter, r *http.Request, who schemas.Principal) {
	var in api.RevokeRequest
	if !readJSON(w, r, &in) {
		return
	}
	id := r.PathValue("id")
	if err := g.holds.CheckRevoke(id, who, g.deps.Now()); err != nil {
		refusal(w, err)
		return
	}
	gr, _ := g.holds.Grant(id)
	env, err := g.publish(r.Context(), schemas.TopicGrants, id, gr.RequestID, &schemas.GrantRevoked{GrantID: id, By: who, Reason: in.Reason})
	if err != nil {
		apiFail(w, http.StatusServiceUnavailable, "Unavailable", "could not record the revocation; retry: "+err.Error())
		return
	}
	g.awaitApplied(r.Context(), env.ID)
	gr, _ = g.holds.Grant(id)
	writeJSON(w, http.StatusOK, grantView(gr, g.deps.Models))
}

// publishHoldEvent records p for hold id, waits until this replica's view
// has it, and answers with the hold as it stands.
func (g *Ingress) publishHoldEvent(w http.ResponseWriter, r *http.Request, id, topic, key string, p schemas.Payload) {
	env, err := g.publish(r.Context(), topic, key, id, p)
	if err != nil {
		apiFail(w, http.StatusServiceUnavailable, "Unavailable", "could not record the decision; retry: "+err.Error())
		return
	}
	g.awaitApplied(r.Context(), env.ID)
	if _, ok := p.(*schemas.ApprovalGiven); ok {
		g.awaitGrant(r.Context(), id)
	}
	h, _ := g.holds.Hold(id)
	writeJSON(w, http.StatusOK, holdView(h, g.deps.Now(), true, g.deps.Models))
}

// awaitGrant waits (briefly) after the approval that completes a hold until
// the decider's grant is in view, so `jitgate approve` followed by
// `jitgate grants` shows it.
func (g *Ingress) awaitGrant(ctx context.Context, id string) {
	deadline := time.Now().Add(applyWait)
	for time.Now().Before(deadline) && ctx.Err() == nil {
		h, ok := g.holds.Hold(id)
		if !ok || h.State != holds.StateApproved || h.Terms.Grant == nil {
			return
		}
		if _, ok := g.holds.Grant(h.GrantID); ok {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// publish records an approver's or requester's event, sealed with the
// holds key as written by "ingress/" + Replica, so deciders and other
// replicas can tell it from a record someone wrote straight to Kafka.
func (g *Ingress) publish(ctx context.Context, topic, key, requestID string, p schemas.Payload) (schemas.Envelope, error) {
	env, err := g.sealed(requestID, p)
	if err != nil {
		return env, err
	}
	return env, g.deps.Publisher.Publish(ctx, bus.Output{Topic: topic, Key: key, Envelope: env})
}

// sealed builds an event this replica writes, sealed with the holds key:
// approver events, and request.received, which names the principal the
// decider judges.
func (g *Ingress) sealed(requestID string, p schemas.Payload) (schemas.Envelope, error) {
	env, err := schemas.NewEnvelope(ids.New(), requestID, g.producer, g.deps.Now(), p)
	if err != nil {
		return env, err
	}
	return env, schemas.Seal(&env, g.deps.HoldsKey)
}

// awaitApplied waits (briefly) until the holds view applied eventID.
func (g *Ingress) awaitApplied(ctx context.Context, eventID string) {
	deadline := time.Now().Add(applyWait)
	for !g.holds.Seen(eventID) && time.Now().Before(deadline) && ctx.Err() == nil {
		time.Sleep(10 * time.Millisecond)
	}
}

// refusal maps a holds refusal to an API error.
func refusal(w http.ResponseWriter, err error) {
	status, code := http.StatusConflict, "Conflict"
	switch {
	case errors.Is(err, holds.ErrNotFound), errors.Is(err, holds.ErrGrantNotFound):
		status, code = http.StatusNotFound, "NotFound"
	case errors.Is(err, holds.ErrSelfApproval), errors.Is(err, holds.ErrNotApprover),
		errors.Is(err, holds.ErrNotRequester), errors.Is(err, holds.ErrNotAllowedToRevoke):
		status, code = http.StatusForbidden, "Forbidden"
	case errors.Is(err, holds.ErrWiderThanRule):
		status, code = http.StatusBadRequest, "InvalidArgument"
	}
	apiFail(w, status, code, err.Error())
}

func readJSON(w http.ResponseWriter, r *http.Request, v any) bool {
	dec := json.NewDecoder(io.LimitReader(r.Body, 64<<10))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil && !errors.Is(err, io.EOF) {
		apiFail(w, http.StatusBadRequest, "InvalidArgument", "request body is not valid JSON for this call: "+err.Error())
		return false
	}
	return true
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

func apiFail(w http.ResponseWriter, status int, code, msg string) {
	writeJSON(w, status, api.ErrorBody{Error: api.ErrorDetail{Code: code, Message: msg}})
}
