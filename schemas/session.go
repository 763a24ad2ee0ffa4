package schemas

import "time"

// TypeSessionIssued is the type of SessionIssued.
const TypeSessionIssued Type = "session.issued"

// OutcomeIssued is the terminal outcome of a credential exchange answered
// with credentials (a session.issued); the audit shows it like any
// request's outcome.
const OutcomeIssued = "issued"

// SessionIssued records a credential exchange the ingress answered with
// jitgate credentials: an AssumeRoleWithWebIdentity whose OIDC token
// verified and whose role the operator allows. It is the exchange's
// terminal event, named by the request id the agent saw. The ingress
// publishes it to TopicResponses (without a reply-to, so no replica waits
// for it) through the same bounded background queue as its
// request.refused events: event id REQUEST_ID/session.issued, so a copy
// published again is the same event. A refused exchange is a
// request.refused (service "sts", operation "AssumeRoleWithWebIdentity").
//
// It never carries the web identity token, the session token or the
// secret access key. The session id is the access key id issued: not a
// secret (it travels in the clear in every signed request), and every
// request.received signed with the session carries it, which ties the
// session's calls to the exchange that opened it.
type SessionIssued struct {
	// Principal is the token's subject, issuer and groups.
	Principal Principal `json:"principal"`
	// SessionID is the jitgate access key id issued.
	SessionID string `json:"session_id"`
	// Role is the RoleArn asked for (and allowed); SessionName the
	// RoleSessionName.
	Role        string `json:"role"`
	SessionName string `json:"session_name"`
	// Expires is when the session ends.
	Expires time.Time `json:"expires"`
	// Audience is the client id the token was issued for.
	Audience string `json:"audience,omitempty"`
	// Source is the client address.
	Source string `json:"source,omitempty"`
	// Replica is the ingress replica that answered.
	Replica string `json:"replica"`
}

// EventType implements Payload.
func (*SessionIssued) EventType() Type { return TypeSessionIssued }
