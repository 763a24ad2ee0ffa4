package schemas

import "time"

// HoldOpened starts a hold: the request waits for approvers.
type HoldOpened struct {
	Request RequestReceived `json:"request"`
	Rule    string          `json:"rule"`
	Reason  string          `json:"reason"`
	Terms   HoldTerms       `json:"terms"`
	// Body locates the request.received record when the body is chunked,
	// so an approved call can still be executed with its body.
	Body *RecordRef `json:"body,omitempty"`
	// Role is the AWS role the rule has the executor assume for this call
	// and for calls through the grant an approval opens.
	Role string `json:"role,omitempty"`
}

// EventType implements Payload.
func (*HoldOpened) EventType() Type { return TypeHoldOpened }

// HoldJustified attaches the requester's justification to a hold.
type HoldJustified struct {
	By   Principal `json:"by"`
	Text string    `json:"text"`
}

// EventType implements Payload.
func (*HoldJustified) EventType() Type { return TypeHoldJustified }

// ApprovalGiven records one approver's approval.
type ApprovalGiven struct {
	By     Principal     `json:"by"`
	Reason string        `json:"reason,omitempty"`
	For    time.Duration `json:"for,omitempty"` // requested grant length; 0 = the rule's
}

// EventType implements Payload.
func (*ApprovalGiven) EventType() Type { return TypeApprovalGiven }

// HoldApproved ends a hold as approved: enough distinct approvers agreed.
type HoldApproved struct {
	Approvers []string `json:"approvers"`
	GrantID   string   `json:"grant_id,omitempty"`
}

// EventType implements Payload.
func (*HoldApproved) EventType() Type { return TypeHoldApproved }

// HoldDenied ends a hold as denied by an approver.
type HoldDenied struct {
	By     Principal `json:"by"`
	Reason string    `json:"reason"`
}

// EventType implements Payload.
func (*HoldDenied) EventType() Type { return TypeHoldDenied }

// HoldExpired ends a hold nobody decided in time; it counts as denied.
type HoldExpired struct{}

// EventType implements Payload.
func (*HoldExpired) EventType() Type { return TypeHoldExpired }
