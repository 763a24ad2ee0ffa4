package holds

import (
	"fmt"
	"slices"
	"time"

	"github.com/jitgate/jitgate/internal/ids"
	"github.com/jitgate/jitgate/internal/policy"
	"github.com/jitgate/jitgate/schemas"
)

// Grant is an opened grant and whether it was revoked.
type Grant struct {
	schemas.GrantOpened
	OpenedAt      time.Time // the grant.opened event's time
	Revoked       bool
	RevokedBy     string // Identity of the revoker
	RevokedReason string
	RevokedAt     time.Time
}

// ActiveAt reports whether the grant lets calls through at now: not
// revoked and now < Expires.
func (g Grant) ActiveAt(now time.Time) bool {
	return !g.Revoked && now.Before(g.Expires)
}

// NewGrant builds the grant.opened payload for a hold that approvals
// completed (the approvals Crossing returned). It returns nil, nil when the
// rule opens no grant (Terms.Grant is nil or its For is not positive).
//
// The grant is for the requester and lasts the shortest of the rule's
// Terms.Grant.For and every approver's positive For, from now; pass the
// time of the crossing approval (approvals[len-1].At) so a replay opens the
// same window. grantID "" means a fresh ids.New(). Scope "" means call.
// Params pin the call (scope call) or its resources (scope operation): see
// MatchGrant. An error wraps ErrBadGrant; the hold can still be approved
// without a grant (the held call runs once).
func NewGrant(h Hold, approvals []Approval, grantID string, now time.Time) (*schemas.GrantOpened, error) {
	terms := h.Terms.Grant
	if terms == nil || terms.For <= 0 {
		return nil, nil
	}
	if len(approvals) < h.needed() {
		return nil, refuse(ErrBadGrant, h.RequestID, h.State,
			"request %s needs %d approvals to open a grant, got %d", h.RequestID, h.needed(), len(approvals))
	}
	length := terms.For
	approvedBy := make([]string, len(approvals))
	for i, a := range approvals {
		if a.For > 0 && a.For < length {
			length = a.For
		}
		approvedBy[i] = Identity(a.By)
	}
	scope := terms.Scope
	if scope == "" {
		scope = policy.ScopeCall
	}
	g := &schemas.GrantOpened{
		GrantID:    grantID,
		RequestID:  h.RequestID,
		Principal:  h.Request.Principal,
		Scope:      scope,
		Service:    h.Request.Service,
		Operation:  h.Request.Operation,
		Role:       h.Request.Role,
		Expires:    now.Add(length).UTC(),
		ApprovedBy: approvedBy,
	}
	if g.GrantID == "" {
		g.GrantID = ids.New()
	}
	var err error
	switch scope {
	case policy.ScopeCall:
		g.Params, err = callPin(&h.Request)
	case policy.ScopeOperation:
		g.Params, err = operationPin(&h.Request)
	case policy.ScopeExpr:
		g.Match = terms.Match
		_, err = policy.CompileMatch(terms.Match)
	default:
		return nil, refuse(ErrBadGrant, h.RequestID, h.State,
			"rule %q has unknown grant scope %q (want call, operation or expr)", h.Rule, scope)
	}
	if err != nil {
		e := refuse(ErrBadGrant, h.RequestID, h.State,
			"cannot open the %s grant of rule %q for request %s", scope, h.Rule, h.RequestID)
		e.Cause = err
		return nil, e
	}
	return g, nil
}

func (s *Store) applyGrantOpened(env schemas.Envelope, p *schemas.GrantOpened) {
	if p.GrantID == "" {
		return
	}
	if _, ok := s.grants[p.GrantID]; ok {
		return
	}
	g := &grantEntry{Grant: Grant{GrantOpened: *p, OpenedAt: env.Time}}
	if r, ok := s.early[p.GrantID]; ok {
		g.Revoked, g.RevokedBy, g.RevokedReason, g.RevokedAt = true, r.by, r.reason, r.at
		delete(s.early, p.GrantID)
	}
	switch p.Scope {
	case policy.ScopeCall, policy.ScopeOperation:
		g.pin, g.bad = canonical(p.Params)
	case policy.ScopeExpr:
		mr, ok := s.matchers[p.Match]
		if !ok {
			mr.m, mr.err = policy.CompileMatch(p.Match)
			s.matchers[p.Match] = mr
		}
		g.matcher, g.bad = mr.m, mr.err
	default:
		g.bad = fmt.Errorf("unknown scope %q", p.Scope)
	}
	s.grants[p.GrantID] = g
	k := keyOf(p.Principal)
	list := s.owned[k]
	i, _ := slices.BinarySearchFunc(list, g, compareGrants)
	s.owned[k] = slices.Insert(list, i, g)
}

func (s *Store) applyGrantRevoked(env schemas.Envelope, p *schemas.GrantRevoked) {
	r := revocation{by: Identity(p.By), reason: p.Reason, at: env.Time}
	g, ok := s.grants[p.GrantID]
	if !ok {
		if _, dup := s.early[p.GrantID]; !dup && p.GrantID != "" {
			s.early[p.GrantID] = r
		}
		return
	}
	if !g.Revoked {
		g.Revoked, g.RevokedBy, g.RevokedReason, g.RevokedAt = true, r.by, r.reason, r.at
	}
}

// Grant returns a grant by id, active or not.
func (s *Store) Grant(id string) (Grant, bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	g, ok := s.grants[id]
	if !ok {
		return Grant{}, false
	}
	return g.Grant, true
}

// Grants lists the grants active at now, soonest expiry first (then by id).
func (s *Store) Grants(now time.Time) []Grant {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.listGrantsLocked(func(g *Grant) bool { return g.ActiveAt(now) })
}

// listGrantsLocked returns the grants keep accepts, in listing order.
// Callers hold s.mu.
func (s *Store) listGrantsLocked(keep func(*Grant) bool) []Grant {
	var es []*grantEntry
	for _, g := range s.grants {
		if keep(&g.Grant) {
			es = append(es, g)
		}
	}
	slices.SortFunc(es, compareGrants)
	out := make([]Grant, len(es))
	for i, g := range es {
		out[i] = g.Grant
	}
	return out
}

// CheckRevoke tells whether by may revoke the grant at now. Allowed: the
// grantee (same subject and issuer: anyone may give up their own access),
// anyone named in the grant's ApprovedBy, and members of the approver
// groups of the hold that opened it (when this store knows that hold).
// A grant that expired or was revoked already is refused with
// ErrGrantInactive, an unknown one with ErrGrantNotFound.
func (s *Store) CheckRevoke(grantID string, by schemas.Principal, now time.Time) error {
	s.mu.RLock()
	defer s.mu.RUnlock()
	g, ok := s.grants[grantID]
	if !ok {
		return refuseGrant(ErrGrantNotFound, grantID, "no grant %s; list active grants to find the right id", grantID)
	}
	var h *Hold
	if e, ok := s.holds[g.RequestID]; ok {
		h = &e.Hold
	}
	return checkRevoke(&g.Grant, h, by, now)
}
