package holds

import (
	"cmp"
	"slices"
	"strings"
	"time"

	"github.com/jitgate/jitgate/schemas"
)

// Who may see what. A held request carries the agent's parameters (bucket
// names, keys, bodies) and a grant says what an agent may do unchecked;
// neither is anybody else's business. A principal sees a hold only if it
// made the request or is in one of the rule's approver groups, and a grant
// only if it is the grantee, one of its approvers, or in the approver
// groups of the hold that opened it. Everything else reads as "no such
// hold", so the API does not even reveal that a hold exists.

// VisibleTo reports whether p may see h: its requester (same subject and
// issuer) or a member of one of its approver groups.
func (h Hold) VisibleTo(p schemas.Principal) bool {
	return samePerson(p, h.Request.Principal) || inGroups(p, h.Terms.Approvers)
}

// HoldFor returns the hold of a request if p may see it; a hold p may not
// see is reported exactly like one that does not exist.
func (s *Store) HoldFor(requestID string, p schemas.Principal) (Hold, bool) {
	h, ok := s.Hold(requestID)
	if !ok || !h.VisibleTo(p) {
		return Hold{}, false
	}
	return h, true
}

// PendingFor lists the holds pending at now that p may see, oldest first.
func (s *Store) PendingFor(p schemas.Principal, now time.Time) []Hold {
	return s.listHolds(func(h *Hold) bool { return h.StateAt(now) == StatePending && h.VisibleTo(p) },
		func(a, b *holdEntry) int {
			return cmp.Or(a.OpenedAt.Compare(b.OpenedAt), strings.Compare(a.RequestID, b.RequestID))
		})
}

// GrantsFor lists the grants active at now that p may see, soonest expiry
// first (then by id).
func (s *Store) GrantsFor(p schemas.Principal, now time.Time) []Grant {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.listGrantsLocked(func(g *Grant) bool { return g.ActiveAt(now) && s.grantVisible(g, p) })
}

// grantVisible reports whether p may see g. Callers hold s.mu.
func (s *Store) grantVisible(g *Grant, p schemas.Principal) bool {
	if samePerson(p, g.Principal) || slices.Contains(g.ApprovedBy, Identity(p)) {
		return true
	}
	h, ok := s.holds[g.RequestID]
	return ok && inGroups(p, h.Terms.Approvers)
}
