package notify

import (
	"fmt"
	"time"

	"github.com/jitgate/jitgate/schemas"
)

// maxCommentLen bounds the free text a notification carries.
const maxCommentLen = 2000

// Notification is what one delivery says. Its JSON encoding (the tags below)
// is the body of a FormatJSON delivery; docs/notifications.md documents it.
// Fields that do not apply to an event, or are unknown, are omitted.
type Notification struct {
	// ID identifies the notification: the id of the event it reports. It is
	// the X-Jitgate-Delivery header, stable across retries and redeliveries.
	ID string `json:"id"`
	// Event is the hold event reported: hold.opened, hold.justified,
	// approval.given, hold.approved, hold.denied or hold.expired.
	Event string `json:"event"`
	// RequestID is the held request's id, as the agent saw it in its error.
	RequestID string `json:"request_id"`
	// Time is when the event happened.
	Time time.Time `json:"time"`

	// Agent is the OIDC subject of the principal that made the call.
	Agent string `json:"agent,omitempty"`
	// Role is the role ARN the agent's session targets.
	Role string `json:"role,omitempty"`
	// Call is "service:Operation", for example "s3:DeleteBucket".
	Call string `json:"call,omitempty"`
	// Region is the call's AWS region.
	Region string `json:"region,omitempty"`
	// ReadOnly reports a call the gateway knows to be read-only.
	ReadOnly bool `json:"read_only,omitempty"`
	// Params are the names of the call's top-level parameters, sorted; never
	// their values (at most 32 names).
	Params []string `json:"params,omitempty"`
	// Resources are the values of well-known resource-naming parameters
	// only (Bucket, TableName, FunctionName, ...; see resourceMembers),
	// keyed by parameter name. No other parameter value is ever included.
	Resources map[string]string `json:"resources,omitempty"`

	// Rule and Reason are the policy rule that held the call and its reason.
	Rule   string `json:"rule,omitempty"`
	Reason string `json:"reason,omitempty"`
	// Approvers are the groups whose members may decide.
	Approvers []string `json:"approvers,omitempty"`
	// Approvals is how many distinct approvers must agree.
	Approvals int `json:"approvals,omitempty"`
	// Expires is when the hold expires undecided (counts as denied).
	Expires time.Time `json:"expires,omitzero"`
	// RequireJustification reports a hold that waits for the requester's
	// justification before it can be approved.
	RequireJustification bool `json:"require_justification,omitempty"`

	// By is who acted: the justifier, the approver, or the denier.
	By string `json:"by,omitempty"`
	// Comment is what By wrote: the justification, or the approval or
	// denial reason. It is free text from a person or an agent: escape it
	// before rendering it as markup.
	Comment string `json:"comment,omitempty"`
	// ApprovedBy are the approvers of an approved hold.
	ApprovedBy []string `json:"approved_by,omitempty"`
	// GrantID is the grant an approval opened, if any.
	GrantID string `json:"grant_id,omitempty"`

	// Summary is one line of plain text saying what happened.
	Summary string `json:"summary"`
	// ApproveCommand and DenyCommand are the CLI commands that decide a hold
	// still open. They are omitted for resolved holds and for request ids
	// that are not safe to paste into a shell.
	ApproveCommand string `json:"approve_command,omitempty"`
	DenyCommand    string `json:"deny_command,omitempty"`
	// Gateway is the gateway's public URL (Config.PublicURL), set by Send.
	Gateway string `json:"gateway,omitempty"`
}

// Pending reports whether the notification is about a hold still open.
func (n Notification) Pending() bool {
	switch schemas.Type(n.Event) {
	case schemas.TypeHoldOpened, schemas.TypeHoldJustified, schemas.TypeApprovalGiven:
		return true
	}
	return false
}

// shellSafe reports whether id can be pasted into a shell unquoted: request
// ids are UUIDs, but events come from Kafka, which others may write.
func shellSafe(id string) bool {
	if id == "" || len(id) > 128 || id[0] == '-' {
		return false
	}
	for _, c := range id {
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9', c == '-', c == '_', c == '.':
		default:
			return false
		}
	}
	return true
}

// Message builds the notification for env, an event of the holds topic.
// hold is the request's hold.opened payload when the caller knows it (it
// adds the agent, call, rule and terms to later events); it may be nil, and
// it is ignored for hold.opened itself, which carries its own.
//
// ok is false for event types that notify nobody (anything outside the
// hold lifecycle). err reports a payload that does not decode.
func Message(env schemas.Envelope, hold *schemas.HoldOpened) (msg Notification, ok bool, err error) {
	msg = Notification{ID: env.ID, Event: string(env.Type), RequestID: env.RequestID, Time: env.Time}
	switch env.Type {
	case schemas.TypeHoldOpened:
		h, err := schemas.DecodeAs[*schemas.HoldOpened](env)
		if err != nil {
			return Notification{}, false, fmt.Errorf("notify: %w", err)
		}
		hold = h
	case schemas.TypeHoldJustified:
		p, err := schemas.DecodeAs[*schemas.HoldJustified](env)
		if err != nil {
			return Notification{}, false, fmt.Errorf("notify: %w", err)
		}
		msg.By, msg.Comment = p.By.Subject, p.Text
	case schemas.TypeApprovalGiven:
		p, err := schemas.DecodeAs[*schemas.ApprovalGiven](env)
		if err != nil {
			return Notification{}, false, fmt.Errorf("notify: %w", err)
		}
		msg.By, msg.Comment = p.By.Subject, p.Reason
	case schemas.TypeHoldApproved:
		p, err := schemas.DecodeAs[*schemas.HoldApproved](env)
		if err != nil {
			return Notification{}, false, fmt.Errorf("notify: %w", err)
		}
		msg.ApprovedBy, msg.GrantID = p.Approvers, p.GrantID
	case schemas.TypeHoldDenied:
		p, err := schemas.DecodeAs[*schemas.HoldDenied](env)
		if err != nil {
			return Notification{}, false, fmt.Errorf("notify: %w", err)
		}
		msg.By, msg.Comment = p.By.Subject, p.Reason
	case schemas.TypeHoldExpired:
		if _, err := schemas.DecodeAs[*schemas.HoldExpired](env); err != nil {
			return Notification{}, false, fmt.Errorf("notify: %w", err)
		}
	default:
		return Notification{}, false, nil
	}
	if hold != nil {
		fillHold(&msg, hold)
	}
	if msg.Pending() && shellSafe(msg.RequestID) {
		msg.ApproveCommand = "jitgate approve " + msg.RequestID
		msg.DenyCommand = "jitgate deny " + msg.RequestID
	}
	msg.Comment = truncate(msg.Comment, maxCommentLen)
	msg.Summary = summary(msg)
	return msg, true, nil
}

// fillHold copies what the hold says about the call and its terms.
func fillHold(msg *Notification, h *schemas.HoldOpened) {
	r := &h.Request
	msg.Agent = r.Principal.Subject
	msg.Role = r.Role
	if r.Service != "" || r.Operation != "" {
		msg.Call = r.Service + ":" + r.Operation
	}
	msg.Region = r.Region
	msg.ReadOnly = r.ReadOnly
	msg.Params, msg.Resources = summarizeParams(r.Params)
	msg.Rule, msg.Reason = h.Rule, h.Reason
	msg.Approvers = h.Terms.Approvers
	msg.Approvals = h.Terms.Approvals
	msg.Expires = h.Terms.Expires
	msg.RequireJustification = h.Terms.RequireJustification
}
