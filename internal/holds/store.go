package holds

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/jitgate/jitgate/internal/policy"
	"github.com/jitgate/jitgate/schemas"
)

// Store is the state of every hold and grant, folded from the events of
// the holds and grants topics. It is safe for concurrent use.
type Store struct {
	// key verifies every event before it is folded (schemas.Verify): the
	// holds key, which only deciders and ingresses hold.
	key []byte
	mu  sync.RWMutex
	// seen maps each applied event id to when it may be forgotten
	// (prune.go).
	seen   map[string]time.Time
	holds  map[string]*holdEntry          // by request id
	grants map[string]*grantEntry         // by grant id
	owned  map[principalKey][]*grantEntry // by grantee, sorted by (Expires, GrantID)
	// early remembers grant.revoked events for grants not opened (yet), so
	// a revocation is never lost to ordering: revoking fails safe.
	early    map[string]revocation
	matchers map[string]matcherResult // compiled match expressions by source
	// retention is how long ended holds, expired grants and applied event
	// ids stay in view (prune.go); lastPrune is the log time of the last
	// pruning pass.
	retention time.Duration
	pruneEach time.Duration // pruneInterval(retention)
	lastPrune time.Time
	// clock is the newest event time applied; prunedSize the view's size
	// after the last pruning pass.
	clock      time.Time
	prunedSize int
}

// holdEntry is a hold plus what Crossing needs.
type holdEntry struct {
	Hold
	verdicts map[string]error // approval.given event id → nil (counted) or its refusal
	crossing string           // id of the approval event that completed the hold
	approved bool             // a hold.approved event was applied
}

type revocation struct {
	by     string
	reason string
	at     time.Time
}

type matcherResult struct {
	m   *policy.Matcher
	err error
}

// NewStore returns an empty store that folds only events sealed with key
// (the holds key; at least schemas.MinKeyLen bytes, or every event is
// refused).
func NewStore(key []byte) *Store {
	return &Store{
		key:       key,
		retention: DefaultRetention,
		pruneEach: pruneInterval(DefaultRetention),
		seen:      map[string]time.Time{},
		holds:     map[string]*holdEntry{},
		grants:    map[string]*grantEntry{},
		owned:     map[principalKey][]*grantEntry{},
		early:     map[string]revocation{},
		matchers:  map[string]matcherResult{},
	}
}

// handles reports whether Apply folds events of type t.
func handles(t schemas.Type) bool {
	switch t {
	case schemas.TypeHoldOpened, schemas.TypeHoldJustified, schemas.TypeApprovalGiven,
		schemas.TypeHoldApproved, schemas.TypeHoldDenied, schemas.TypeHoldExpired,
		schemas.TypeGrantOpened, schemas.TypeGrantRevoked:
		return true
	}
	return false
}

// Apply folds one event of the holds or grants topic into the state. Other
// event types are ignored (nil). The error is non-nil for an event that
// cannot be decoded (it still counts as seen) and for an event whose
// authentication code does not verify under the store's key or whose
// producer may not write it: that error is a *ForgedError, the event
// changes nothing and does not count as seen, so a forged copy cannot
// shadow the authentic event of the same id.
//
// Apply is idempotent and deterministic, so every role rebuilds the same
// state by replaying the topics after a restart:
//   - an event id applied before changes nothing;
//   - each event is judged by the rules at its own envelope time, in log
//     order: an approval, denial or justification the rules refuse (a race
//     between two ingress replicas, a stale store, a forged event) is
//     recorded as not counting and otherwise ignored;
//   - the approval that brings a hold to its N-th distinct approver
//     approves it at once (see Crossing); hold.approved then adds the grant
//     id. A second resolution of a resolved hold is ignored: whatever comes
//     first in the log wins (approval N, hold.denied, hold.expired, or a
//     hold.approved of a hold not yet complete, which is the decider's word);
//   - events for a hold this store has not seen opened are dropped: the
//     holds topic is keyed by request id, so hold.opened always comes first,
//     and a hold whose hold.opened was deleted by retention is long over;
//   - grant.revoked is applied whoever sent it (revoking fails safe, and the
//     hold needed to check the revoker may come from the other topic later);
//     a revocation of a grant not opened yet is remembered and applied when
//     it opens.
func (s *Store) Apply(env schemas.Envelope) error {
	return s.ApplyFrom(env, -1)
}

// ApplyFrom is Apply for an event read from partition of its topic: a hold
// it opens keeps that partition (Hold.Partition).
func (s *Store) ApplyFrom(env schemas.Envelope, partition int32) error {
	if !handles(env.Type) {
		return nil
	}
	if err := schemas.Verify(env, s.key); err != nil {
		return &ForgedError{EventID: env.ID, Type: env.Type, RequestID: env.RequestID, Producer: env.Producer, Err: err}
	}
	p, decodeErr := env.Decode()
	s.mu.Lock()
	defer s.mu.Unlock()
	if env.ID != "" {
		if _, ok := s.seen[env.ID]; ok {
			return nil
		}
		s.seen[env.ID] = s.forgetAfter(env, p)
	}
	defer s.pruneLocked(env.Time)
	if decodeErr != nil {
		return fmt.Errorf("holds: apply %s event %q: %w", env.Type, env.ID, decodeErr)
	}
	switch p := p.(type) {
	case *schemas.HoldOpened:
		s.applyOpened(env, p, partition)
	case *schemas.GrantOpened:
		s.applyGrantOpened(env, p)
	case *schemas.GrantRevoked:
		s.applyGrantRevoked(env, p)
	default:
		h := s.holds[env.RequestID]
		if h == nil {
			return nil
		}
		h.apply(env, p)
	}
	return nil
}

func (s *Store) applyOpened(env schemas.Envelope, p *schemas.HoldOpened, partition int32) {
	if _, ok := s.holds[env.RequestID]; ok {
		return
	}
	s.holds[env.RequestID] = &holdEntry{
		Hold: Hold{
			RequestID: env.RequestID,
			Request:   p.Request,
			Rule:      p.Rule,
			Reason:    p.Reason,
			Terms:     p.Terms,
			Body:      p.Body,
			ExecRole:  p.Role,
			OpenedAt:  env.Time,
			Partition: partition,
			State:     StatePending,
		},
		verdicts: map[string]error{},
	}
}

// apply folds one event of the hold's lifecycle after hold.opened.
func (h *holdEntry) apply(env schemas.Envelope, p schemas.Payload) {
	switch p := p.(type) {
	case *schemas.HoldJustified:
		if checkJustify(&h.Hold, p.By, env.Time) == nil {
			h.Justification = &Justification{By: p.By, Text: p.Text, At: env.Time}
		}
	case *schemas.ApprovalGiven:
		err := checkApprove(&h.Hold, p.By, p.For, env.Time)
		h.verdicts[env.ID] = err
		if err != nil {
			return
		}
		h.Approvals = append(h.Approvals, Approval{By: p.By, Reason: p.Reason, For: p.For, At: env.Time, EventID: env.ID})
		if len(h.Approvals) == h.needed() {
			h.crossing = env.ID
			h.resolve(StateApproved, Identity(p.By), p.Reason, env.Time)
		}
	case *schemas.HoldApproved:
		if h.approved || h.State == StateDenied || h.State == StateExpired {
			return
		}
		h.approved = true
		h.GrantID = p.GrantID
		if h.State == StatePending {
			h.resolve(StateApproved, strings.Join(p.Approvers, ", "), "", env.Time)
		}
	case *schemas.HoldDenied:
		if checkDeny(&h.Hold, p.By, env.Time) == nil {
			h.resolve(StateDenied, Identity(p.By), p.Reason, env.Time)
		}
	case *schemas.HoldExpired:
		if h.State == StatePending {
			h.resolve(StateExpired, "", "", env.Time)
		}
	}
}

func (h *holdEntry) resolve(st State, by, reason string, at time.Time) {
	h.State, h.ResolvedBy, h.ResolvedReason, h.ResolvedAt = st, by, reason, at
}

// snapshot copies the hold for a caller.
func (h *holdEntry) snapshot() Hold {
	c := h.Hold
	c.Approvals = slices.Clone(h.Approvals)
	return c
}

// Seen reports whether the event with this id was applied (or dropped as
// undecodable). The decider waits for its tail to have applied an event
// before acting on it.
func (s *Store) Seen(eventID string) bool {
	s.mu.RLock()
	defer s.mu.RUnlock()
	_, ok := s.seen[eventID]
	return ok
}

// Hold returns the hold of a request.
func (s *Store) Hold(requestID string) (Hold, bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	h, ok := s.holds[requestID]
	if !ok {
		return Hold{}, false
	}
	return h.snapshot(), true
}

// Pending lists the holds still pending at now, oldest first.
func (s *Store) Pending(now time.Time) []Hold {
	return s.listHolds(func(h *Hold) bool { return h.StateAt(now) == StatePending },
		func(a, b *holdEntry) int {
			return cmp.Or(a.OpenedAt.Compare(b.OpenedAt), strings.Compare(a.RequestID, b.RequestID))
		})
}

// Expired lists the holds that are pending by their events but past
// Terms.Expires at now (no hold.expired yet), soonest expiry first. The
// decider owning a hold's partition (Hold.Partition) emits its
// hold.expired.
func (s *Store) Expired(now time.Time) []Hold {
	return s.listHolds(func(h *Hold) bool { return h.State == StatePending && h.StateAt(now) == StateExpired },
		func(a, b *holdEntry) int {
			return cmp.Or(a.Terms.Expires.Compare(b.Terms.Expires), strings.Compare(a.RequestID, b.RequestID))
		})
}

func (s *Store) listHolds(keep func(*Hold) bool, order func(a, b *holdEntry) int) []Hold {
	s.mu.RLock()
	defer s.mu.RUnlock()
	var es []*holdEntry
	for _, h := range s.holds {
		if keep(&h.Hold) {
			es = append(es, h)
		}
	}
	slices.SortFunc(es, order)
	out := make([]Hold, len(es))
	for i, h := range es {
		out[i] = h.snapshot()
	}
	return out
}

// Crossing reports whether the approval.given event eventID is the one
// that gave its hold the last distinct approval it needed, in log order.
// Exactly one event per hold can cross, however often and whenever the log
// is replayed, so exactly one decider emits hold.approved. approvals are
// the counted approvals up to and including eventID (pass them to
// NewGrant).
//
// err is non-nil when the hold or the event is unknown to this store
// (ErrNotFound: the caller's tail has not applied it), or when the
// approval does not count: then err is the refusal it got when applied
// (ErrNotApprover, ErrAlreadyApproved, ErrExpired, ...). Either way there
// is nothing to emit.
func (s *Store) Crossing(requestID, eventID string) (crossed bool, approvals []Approval, err error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	h, ok := s.holds[requestID]
	if !ok {
		return false, nil, refuse(ErrNotFound, requestID, "", "no hold for request %s in this store (not applied yet?)", requestID)
	}
	verdict, ok := h.verdicts[eventID]
	if !ok {
		return false, nil, refuse(ErrNotFound, requestID, h.State,
			"approval event %s of request %s was not applied to this store", eventID, requestID)
	}
	if verdict != nil {
		return false, nil, verdict
	}
	i := slices.IndexFunc(h.Approvals, func(a Approval) bool { return a.EventID == eventID })
	return eventID == h.crossing, slices.Clone(h.Approvals[:i+1]), nil
}

// CheckApprove tells whether by may approve the request's hold at now,
// asking for a grant of forDur (0 = the rule's length). The error is an
// *Error wrapping ErrNotFound, ErrExpired, ErrNotPending,
// ErrSelfApproval, ErrNotApprover, ErrAlreadyApproved,
// ErrJustificationRequired or ErrWiderThanRule, checked in that order.
func (s *Store) CheckApprove(requestID string, by schemas.Principal, forDur time.Duration, now time.Time) error {
	return s.checkHold(requestID, func(h *Hold) error { return checkApprove(h, by, forDur, now) })
}

// CheckDeny tells whether by may deny the request's hold at now: a member
// of the approver groups who did not make the request, while it is
// pending. No justification is needed to deny.
func (s *Store) CheckDeny(requestID string, by schemas.Principal, now time.Time) error {
	return s.checkHold(requestID, func(h *Hold) error { return checkDeny(h, by, now) })
}

// CheckJustify tells whether by may justify the request's hold at now:
// only the requester (same subject and issuer), only while it is pending.
// A later justification replaces an earlier one.
func (s *Store) CheckJustify(requestID string, by schemas.Principal, now time.Time) error {
	return s.checkHold(requestID, func(h *Hold) error { return checkJustify(h, by, now) })
}

func (s *Store) checkHold(requestID string, check func(*Hold) error) error {
	s.mu.RLock()
	defer s.mu.RUnlock()
	h, ok := s.holds[requestID]
	if !ok {
		return refuse(ErrNotFound, requestID, "",
			"no hold for request %s; list pending holds to find the right id", requestID)
	}
	return check(&h.Hold)
}
