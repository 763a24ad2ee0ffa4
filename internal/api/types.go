package api

import (
	"encoding/json"
	"time"
)

// Hold is a held request as approvers see it.
type Hold struct {
	ID        string    `json:"id"`
	State     string    `json:"state"` // pending, approved, denied, expired
	OpenedAt  time.Time `json:"opened_at"`
	Expires   time.Time `json:"expires"`
	Agent     string    `json:"agent"` // the requester's OIDC subject
	Issuer    string    `json:"issuer"`
	Groups    []string  `json:"groups,omitempty"`
	Service   string    `json:"service"`
	Operation string    `json:"operation"`
	Region    string    `json:"region"`
	// Resources are the key parameters (bucket, key, table, ...).
	Resources map[string]string `json:"resources,omitempty"`
	Params    json.RawMessage   `json:"params,omitempty"`
	Method    string            `json:"method,omitempty"`
	Path      string            `json:"path,omitempty"`
	Source    string            `json:"source,omitempty"`
	Rule      string            `json:"rule"`
	Reason    string            `json:"reason"`
	// Approvers are the groups that may decide.
	Approvers            []string   `json:"approvers"`
	Needed               int        `json:"approvals_needed"`
	Approvals            []Approval `json:"approvals,omitempty"`
	RequireJustification bool       `json:"require_justification,omitempty"`
	Justification        string     `json:"justification,omitempty"`
	JustifiedBy          string     `json:"justified_by,omitempty"`
	GrantFor             string     `json:"grant_for,omitempty"` // longest grant the rule allows, e.g. "15m0s"
	GrantScope           string     `json:"grant_scope,omitempty"`
	// GrantPin is exactly what an approval's grant will pin (scope call:
	// every parameter, the region and the body's sha256 and size; scope
	// operation: the resources): a later call is let through only if it
	// reproduces it. Empty for expr grants and rules without a grant.
	GrantPin       json.RawMessage `json:"grant_pin,omitempty"`
	ResolvedBy     string          `json:"resolved_by,omitempty"`
	ResolvedReason string          `json:"resolved_reason,omitempty"`
	GrantID        string          `json:"grant_id,omitempty"`
	Timeline       []Event         `json:"timeline,omitempty"`
}

// Approval is one approver's yes.
type Approval struct {
	By     string    `json:"by"`
	Reason string    `json:"reason,omitempty"`
	For    string    `json:"for,omitempty"`
	At     time.Time `json:"at"`
}

// Event is one step of a hold's history.
type Event struct {
	At     time.Time `json:"at"`
	What   string    `json:"what"`
	By     string    `json:"by,omitempty"`
	Detail string    `json:"detail,omitempty"`
}

// Grant is time-boxed access opened by an approval.
type Grant struct {
	ID         string          `json:"id"`
	RequestID  string          `json:"request_id"`
	Agent      string          `json:"agent"`
	Scope      string          `json:"scope"`
	Service    string          `json:"service"`
	Operation  string          `json:"operation"`
	Params     json.RawMessage `json:"params,omitempty"`
	Match      string          `json:"match,omitempty"`
	Expires    time.Time       `json:"expires"`
	ApprovedBy []string        `json:"approved_by"`
	Revoked    bool            `json:"revoked,omitempty"`
	RevokedBy  string          `json:"revoked_by,omitempty"`
}

// ApproveRequest is the body of POST /holds/{id}/approve.
type ApproveRequest struct {
	Reason string `json:"reason,omitempty"`
	// For shortens the grant the rule allows ("10m"); empty keeps it.
	For string `json:"for,omitempty"`
}

// DenyRequest is the body of POST /holds/{id}/deny.
type DenyRequest struct {
	Reason string `json:"reason"`
}

// JustifyRequest is the body of POST /holds/{id}/justify.
type JustifyRequest struct {
	Text string `json:"text"`
}

// RevokeRequest is the body of POST /grants/{id}/revoke.
type RevokeRequest struct {
	Reason string `json:"reason,omitempty"`
}

// Holds is the answer of GET /holds.
type Holds struct {
	Holds []Hold `json:"holds"`
}

// Grants is the answer of GET /grants.
type Grants struct {
	Grants []Grant `json:"grants"`
}

// Whoami is the answer of GET /whoami.
type Whoami struct {
	Subject string   `json:"sub"`
	Issuer  string   `json:"iss"`
	Groups  []string `json:"groups,omitempty"`
}

// ErrorBody is the shape of every error answer.
type ErrorBody struct {
	Error ErrorDetail `json:"error"`
}

// ErrorDetail says what went wrong and what to do.
type ErrorDetail struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}
