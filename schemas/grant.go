package schemas

import (
	"encoding/json"
	"time"
)

// GrantOpened opens time-boxed access approved for one hold.
type GrantOpened struct {
	GrantID   string    `json:"grant_id"`
	RequestID string    `json:"request_id"` // the hold that was approved
	Principal Principal `json:"principal"`  // who the grant is for
	Scope     string    `json:"scope"`      // call | operation | expr
	Service   string    `json:"service"`
	Operation string    `json:"operation"`
	// Params pins the call (scope call) or its resources (scope operation).
	Params     json.RawMessage `json:"params,omitempty"`
	Match      string          `json:"match,omitempty"` // expr source, scope expr
	Role       string          `json:"role,omitempty"`
	Expires    time.Time       `json:"expires"`
	ApprovedBy []string        `json:"approved_by"`
}

// EventType implements Payload.
func (*GrantOpened) EventType() Type { return TypeGrantOpened }

// GrantRevoked closes a grant before it expires.
type GrantRevoked struct {
	GrantID string    `json:"grant_id"`
	By      Principal `json:"by"`
	Reason  string    `json:"reason,omitempty"`
}

// EventType implements Payload.
func (*GrantRevoked) EventType() Type { return TypeGrantRevoked }
