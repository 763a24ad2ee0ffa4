package holds

import (
	"strings"
	"time"

	"github.com/jitgate/jitgate/schemas"
)

// The rules of a hold, shared by the Check methods (asked by the ingress
// with the clock's now) and by Apply (judging each event at its own time,
// in log order, so every replica and every replay agrees).

// checkOpen refuses when the hold is no longer open at `at`.
func checkOpen(h *Hold, at time.Time) error {
	switch st := h.StateAt(at); st {
	case StatePending:
		return nil
	case StateExpired:
		return refuse(ErrExpired, h.RequestID, st,
			"request %s expired at %s with %d of %d approvals; ask the agent to retry the call to open a new hold",
			h.RequestID, h.Terms.Expires.UTC().Format(time.RFC3339), len(h.Approvals), h.needed())
	case StateApproved:
		return refuse(ErrNotPending, h.RequestID, st,
			"request %s is already approved (by %s); nothing left to decide", h.RequestID, approverNames(h))
	default:
		msg := "request %s was already denied by %s"
		args := []any{h.RequestID, h.ResolvedBy}
		if h.ResolvedReason != "" {
			msg += ": %s"
			args = append(args, h.ResolvedReason)
		}
		return refuse(ErrNotPending, h.RequestID, st, msg+"; the agent must retry the call to open a new hold", args...)
	}
}

// checkDecider refuses a principal who may not approve or deny h.
func checkDecider(h *Hold, by schemas.Principal, verb string) error {
	if samePerson(by, h.Request.Principal) {
		return refuse(ErrSelfApproval, h.RequestID, StatePending,
			"you (%s) made request %s and cannot %s it; ask another member of %s",
			by.Subject, h.RequestID, verb, groupNames(h.Terms.Approvers))
	}
	if !inGroups(by, h.Terms.Approvers) {
		return refuse(ErrNotApprover, h.RequestID, StatePending,
			"you (%s) are not in %s, the approvers of rule %q; ask one of them to %s request %s",
			by.Subject, groupNames(h.Terms.Approvers), h.Rule, verb, h.RequestID)
	}
	return nil
}

// checkApprove refuses an approval of h by `by` at `at`.
func checkApprove(h *Hold, by schemas.Principal, forDur time.Duration, at time.Time) error {
	if err := checkOpen(h, at); err != nil {
		return err
	}
	if err := checkDecider(h, by, "approve"); err != nil {
		return err
	}
	for _, a := range h.Approvals {
		if samePerson(a.By, by) {
			return refuse(ErrAlreadyApproved, h.RequestID, StatePending,
				"request %s needs %d approvals from %s; you (%s) already approved it, ask another member",
				h.RequestID, h.needed(), groupNames(h.Terms.Approvers), by.Subject)
		}
	}
	if h.Terms.RequireJustification && h.Justification == nil {
		return refuse(ErrJustificationRequired, h.RequestID, StatePending,
			"rule %q needs a justification before request %s can be approved; ask the requester (%s) to justify it",
			h.Rule, h.RequestID, h.Request.Principal.Subject)
	}
	return checkFor(h, forDur)
}

// checkFor refuses a grant length the rule does not allow.
func checkFor(h *Hold, forDur time.Duration) error {
	switch g := h.Terms.Grant; {
	case forDur < 0:
		return refuse(ErrWiderThanRule, h.RequestID, StatePending,
			"grant length %s is negative; leave it out to use the rule's", forDur)
	case forDur == 0:
		return nil
	case g == nil:
		return refuse(ErrWiderThanRule, h.RequestID, StatePending,
			"rule %q opens no grant, so request %s cannot be approved with a grant length; approve without one",
			h.Rule, h.RequestID)
	case forDur > g.For:
		return refuse(ErrWiderThanRule, h.RequestID, StatePending,
			"rule %q allows grants of at most %s; approve request %s for %s or less",
			h.Rule, g.For, h.RequestID, g.For)
	}
	return nil
}

// checkDeny refuses a denial of h by `by` at `at`.
func checkDeny(h *Hold, by schemas.Principal, at time.Time) error {
	if err := checkOpen(h, at); err != nil {
		return err
	}
	return checkDecider(h, by, "deny")
}

// checkJustify refuses a justification of h by `by` at `at`.
func checkJustify(h *Hold, by schemas.Principal, at time.Time) error {
	if err := checkOpen(h, at); err != nil {
		return err
	}
	if !samePerson(by, h.Request.Principal) {
		return refuse(ErrNotRequester, h.RequestID, StatePending,
			"only the requester (%s) can justify request %s; you are %s",
			h.Request.Principal.Subject, h.RequestID, by.Subject)
	}
	return nil
}

// checkRevoke refuses a revocation of g by `by`; h is the hold that
// opened g, nil when this store does not know it.
func checkRevoke(g *Grant, h *Hold, by schemas.Principal, at time.Time) error {
	switch {
	case g.Revoked:
		return refuseGrant(ErrGrantInactive, g.GrantID,
			"grant %s was already revoked by %s; nothing to revoke", g.GrantID, g.RevokedBy)
	case !at.Before(g.Expires):
		return refuseGrant(ErrGrantInactive, g.GrantID,
			"grant %s already expired at %s; nothing to revoke", g.GrantID, g.Expires.UTC().Format(time.RFC3339))
	}
	if samePerson(by, g.Principal) {
		return nil
	}
	id := Identity(by)
	for _, a := range g.ApprovedBy {
		if a == id {
			return nil
		}
	}
	var groups []string
	if h != nil {
		groups = h.Terms.Approvers
		if inGroups(by, groups) {
			return nil
		}
	}
	who := "its grantee or its approvers"
	if len(groups) > 0 {
		who = "its grantee, its approvers or members of " + groupNames(groups)
	}
	return refuseGrant(ErrNotAllowedToRevoke, g.GrantID,
		"you (%s) cannot revoke grant %s: only %s can; ask one of them", by.Subject, g.GrantID, who)
}

func groupNames(groups []string) string {
	switch len(groups) {
	case 0:
		return "no approver group (the rule names none)"
	case 1:
		return "group " + groups[0]
	}
	return "groups " + strings.Join(groups, ", ")
}

func approverNames(h *Hold) string {
	if len(h.Approvals) == 0 {
		if h.ResolvedBy != "" {
			return h.ResolvedBy
		}
		return "the decider"
	}
	names := make([]string, len(h.Approvals))
	for i, a := range h.Approvals {
		names[i] = a.By.Subject
	}
	return strings.Join(names, ", ")
}
