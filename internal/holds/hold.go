package holds

import (
	"time"

	"github.com/jitgate/jitgate/schemas"
)

// State is where a hold stands.
type State string

// Hold states. A hold starts pending and ends in exactly one of the others.
const (
	StatePending  State = "pending"
	StateApproved State = "approved"
	StateDenied   State = "denied"
	StateExpired  State = "expired"
)

// Approval is one approval that counts toward a hold: its approver was
// allowed to approve and had not approved before.
type Approval struct {
	By      schemas.Principal
	Reason  string
	For     time.Duration // requested grant length; 0 = the rule's
	At      time.Time     // the approval.given event's time
	EventID string        // the approval.given event's id
}

// Justification is the requester's explanation of a held call.
type Justification struct {
	By   schemas.Principal
	Text string
	At   time.Time
}

// Hold is a snapshot of one held request. Slices and the request's raw
// bytes share memory with the Store: treat them as read-only.
type Hold struct {
	RequestID string
	Request   schemas.RequestReceived
	Rule      string
	Reason    string
	Terms     schemas.HoldTerms
	// Body locates the request.received record when the body is chunked
	// (HoldOpened.Body), so the approved call can run with its body.
	Body *schemas.RecordRef
	// ExecRole is the AWS role the rule has the executor assume for the
	// call and its grant (HoldOpened.Role); "" for the gateway's own.
	ExecRole string
	OpenedAt time.Time
	// Partition is the holds-topic partition hold.opened was read from
	// (ApplyFrom), -1 when not known (Apply). Every event of the hold is
	// keyed by its request id, so it lies in that partition too: the
	// decider that owns the partition is the one that expires the hold.
	Partition int32
	// Justification is the latest valid hold.justified, nil without one.
	Justification *Justification
	// Approvals are the valid, distinct approvals in log order.
	Approvals []Approval
	// State is the state the events say (StateExpired only after a
	// hold.expired event); use StateAt for the state now.
	State State
	// ResolvedBy is who ended the hold: the approver whose approval was the
	// last one needed, or the denier (see Identity); "" for expiry.
	ResolvedBy     string
	ResolvedReason string
	ResolvedAt     time.Time
	// GrantID is the grant hold.approved named, "" without one.
	GrantID string
}

// StateAt returns the hold's state at now: State, except that a pending
// hold is expired once now >= Terms.Expires. A zero Terms.Expires counts
// as already expired (fail closed).
func (h Hold) StateAt(now time.Time) State {
	if h.State == StatePending && !now.Before(h.Terms.Expires) {
		return StateExpired
	}
	return h.State
}

// needed is the number of distinct approvals the hold needs (at least 1).
func (h *Hold) needed() int {
	return max(h.Terms.Approvals, 1)
}

// Identity renders a principal as the string jitgate uses for approvers
// and revokers in events (HoldApproved.Approvers, GrantOpened.ApprovedBy):
// "subject (issuer)", or the subject alone without an issuer. Two
// principals are the same person when subject and issuer are equal.
func Identity(p schemas.Principal) string {
	if p.Issuer == "" {
		return p.Subject
	}
	return p.Subject + " (" + p.Issuer + ")"
}

// samePerson reports whether a and b are the same OIDC identity.
func samePerson(a, b schemas.Principal) bool {
	return a.Subject == b.Subject && a.Issuer == b.Issuer
}

// inGroups reports whether p is in one of groups.
func inGroups(p schemas.Principal, groups []string) bool {
	for _, g := range p.Groups {
		for _, want := range groups {
			if g == want {
				return true
			}
		}
	}
	return false
}
