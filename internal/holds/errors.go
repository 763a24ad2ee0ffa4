package holds

import (
	"errors"
	"fmt"

	"github.com/jitgate/jitgate/schemas"
)

// Sentinels for every refusal. Each is returned wrapped in an [*Error] whose
// message says what happened and what to do; test with errors.Is.
var (
	// ErrNotFound: no hold (or no applied approval event) with that id.
	ErrNotFound = errors.New("holds: no such hold")
	// ErrNotPending: the hold was already approved or denied; Error.State
	// says which.
	ErrNotPending = errors.New("holds: hold is not pending")
	// ErrExpired: the hold ran out of time (by clock or by hold.expired).
	ErrExpired = errors.New("holds: hold expired")
	// ErrSelfApproval: the caller made the request (same subject and issuer).
	ErrSelfApproval = errors.New("holds: cannot decide on own request")
	// ErrNotApprover: the caller is in none of the rule's approver groups.
	ErrNotApprover = errors.New("holds: not an approver")
	// ErrAlreadyApproved: the caller already approved this hold.
	ErrAlreadyApproved = errors.New("holds: already approved by this approver")
	// ErrJustificationRequired: the rule wants the requester's
	// justification before anyone approves.
	ErrJustificationRequired = errors.New("holds: justification required")
	// ErrWiderThanRule: the requested grant length is longer than the rule
	// allows, negative, or the rule opens no grant at all.
	ErrWiderThanRule = errors.New("holds: grant wider than the rule allows")
	// ErrNotRequester: only the requester may justify a hold.
	ErrNotRequester = errors.New("holds: not the requester")
	// ErrGrantNotFound: no grant with that id.
	ErrGrantNotFound = errors.New("holds: no such grant")
	// ErrGrantInactive: the grant already expired or was revoked.
	ErrGrantInactive = errors.New("holds: grant no longer active")
	// ErrNotAllowedToRevoke: the caller is neither the grantee, one of its
	// approvers, nor a member of the hold's approver groups.
	ErrNotAllowedToRevoke = errors.New("holds: not allowed to revoke")
	// ErrBadGrant: a grant cannot be built for an approved hold (unknown
	// scope, a match expression that does not compile, unparsable params).
	ErrBadGrant = errors.New("holds: cannot build grant")
	// ErrForged: an event on the holds or grants topics whose
	// authentication code does not verify, or whose producer may not write
	// it. Store.Apply refuses it with a *ForgedError.
	ErrForged = errors.New("holds: forged event refused")
)

// ForgedError is Store.Apply's refusal of an event no entitled stage
// wrote as it is. The caller logs it and records it as a security event.
// errors.Is(err, ErrForged) holds, and so does errors.Is for the
// schemas error underneath (schemas.ErrBadAuth, schemas.ErrWrongProducer).
type ForgedError struct {
	EventID   string
	Type      schemas.Type
	RequestID string
	Producer  string
	Err       error
}

func (e *ForgedError) Error() string {
	return fmt.Sprintf("holds: refused %s event %q of request %q from %q: %v", e.Type, e.EventID, e.RequestID, e.Producer, e.Err)
}

// Unwrap returns ErrForged and the verification error.
func (e *ForgedError) Unwrap() []error { return []error{ErrForged, e.Err} }

// Error is a refusal with a message meant for the person who asked. Kind is
// one of the sentinels above; errors.Is(err, Kind) holds.
type Error struct {
	Kind      error
	RequestID string // the hold, when the refusal is about one
	GrantID   string // the grant, when the refusal is about one
	State     State  // the hold's state at the time of the check, if known
	Msg       string
	Cause     error // what went wrong underneath, if anything (ErrBadGrant)
}

func (e *Error) Error() string {
	if e.Cause != nil {
		return e.Msg + ": " + e.Cause.Error()
	}
	return e.Msg
}

// Unwrap returns the sentinel and the cause, if any.
func (e *Error) Unwrap() []error {
	if e.Cause != nil {
		return []error{e.Kind, e.Cause}
	}
	return []error{e.Kind}
}

func refuse(kind error, requestID string, state State, format string, args ...any) *Error {
	return &Error{Kind: kind, RequestID: requestID, State: state, Msg: fmt.Sprintf(format, args...)}
}

func refuseGrant(kind error, grantID string, format string, args ...any) *Error {
	return &Error{Kind: kind, GrantID: grantID, Msg: fmt.Sprintf(format, args...)}
}
