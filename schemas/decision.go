package schemas

import "time"

// Outcome is a decider's verdict.
type Outcome string

// Decider outcomes.
const (
	Allow Outcome = "allow"
	Deny  Outcome = "deny"
	Hold  Outcome = "hold"
)

// RecordRef locates a Kafka record. Executors use it to stream a chunked
// request body straight from the requests topic.
type RecordRef struct {
	Topic     string `json:"topic"`
	Partition int32  `json:"partition"`
	Offset    int64  `json:"offset"`
}

// HoldTerms are what a hold rule asks of approvers.
type HoldTerms struct {
	Approvers            []string    `json:"approvers"` // groups allowed to decide
	Approvals            int         `json:"approvals"` // distinct approvers needed
	Expires              time.Time   `json:"expires"`
	RequireJustification bool        `json:"require_justification,omitempty"`
	Grant                *GrantTerms `json:"grant,omitempty"`
}

// GrantTerms bound what an approval may open.
type GrantTerms struct {
	For   time.Duration `json:"for"`             // the longest grant approvers may open
	Scope string        `json:"scope"`           // call | operation | expr
	Match string        `json:"match,omitempty"` // expr source, for scope expr
}

// DecisionMade is the decider's verdict on one request. It embeds the request
// so that an executor needs no state of its own. Its envelope is sealed
// with the decision key, which only deciders and executors hold (Seal).
type DecisionMade struct {
	// RequestID is the id of the request decided on; it equals the
	// envelope's request id, and executors refuse a decision where it does
	// not (a decision moved onto another request).
	RequestID  string  `json:"request_id"`
	Outcome    Outcome `json:"outcome"`
	Rule       string  `json:"rule,omitempty"`
	Reason     string  `json:"reason"`
	PolicyHash string  `json:"policy_hash,omitempty"`
	// Role is the AWS role the executor assumes for this call ("" = the
	// gateway's own credentials or the session's role, per executor config).
	Role    string          `json:"role,omitempty"`
	GrantID string          `json:"grant_id,omitempty"` // set when an active grant allowed the call
	Hold    *HoldTerms      `json:"hold,omitempty"`
	Request RequestReceived `json:"request"`
	// Body locates the request.received record when the body is chunked.
	Body *RecordRef `json:"body,omitempty"`
}

// EventType implements Payload.
func (*DecisionMade) EventType() Type { return TypeDecisionMade }
