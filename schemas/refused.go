package schemas

// TypeRequestRefused is the type of RequestRefused.
const TypeRequestRefused Type = "request.refused"

// Terminal outcomes of a call the ingress answered at its door, without
// publishing a request.received (RequestRefused.Outcome). A refusal caused
// by the ingress itself failing (an event it could not build) has
// OutcomeError, as in response.ready.
const (
	// OutcomeThrottled: too many calls in flight (at the replica or for the
	// principal); the agent got the protocol's throttling error with
	// Retry-After, and its SDK retries with backoff.
	OutcomeThrottled = "throttled"
	// OutcomeUnavailable: the ingress could not publish the call (the
	// broker unreachable or not acknowledging before the call's deadline);
	// the agent got ServiceUnavailable. For a credential exchange: the
	// OIDC issuer's keys could not be fetched (IDPCommunicationError).
	OutcomeUnavailable = "unavailable"
	// OutcomeUnauthenticated: the request did not prove who sent it: no
	// signature or a SigV2 one, a malformed or mismatching signature
	// (IncompleteSignature, SignatureDoesNotMatch), a body that does not
	// match its signed hash, checksum or length, an unsigned x-amz-*
	// header or body, a request time too skewed, or a session token that
	// does not open or has expired (InvalidClientTokenId, ExpiredToken).
	// For a credential exchange (AssumeRoleWithWebIdentity): a web
	// identity token that did not verify (InvalidIdentityToken,
	// ExpiredTokenException).
	OutcomeUnauthenticated = "unauthenticated"
	// OutcomeRejected: the request was read but refused as it stands: a
	// body too large or too slow (RequestEntityTooLarge, RequestTimeout)
	// or broken off, a call that cannot be identified (default deny) or
	// read one way only (ambiguous, or an operation picked by an unsigned
	// header: also a security.refused), a replayed signature (also a
	// security.refused), parameters that cannot be represented, or an
	// unsigned request that is not AssumeRoleWithWebIdentity and cannot be
	// parsed. For a credential exchange: parameters that are not valid
	// (ValidationError) or a role outside the allow-list (AccessDenied,
	// also a security.refused). The agent's SDK does not retry these; the
	// agent must change the request.
	OutcomeRejected = "rejected"
)

// RequestRefused is the terminal outcome of a call the ingress refused at
// its door: it never entered the pipeline, nothing ran, and the agent was
// answered with Error and the request id. The ingress publishes it to
// TopicResponses (without a reply-to, so no replica waits for it),
// best effort, in the background: event id REQUEST_ID/request.refused, so a
// copy published again is the same event. It carries no credentials,
// signature, session token, Authorization header, parameters or body.
//
// A refusal that may be an attack (an ambiguous request, an unsigned input,
// a replayed signature) is also recorded as a security.refused: that is the
// security record, this the call's terminal outcome.
//
// A call refused as unavailable whose request.received the broker took
// after all (acknowledged only after the ingress gave up at the call's
// deadline) also gets the pipeline's own outcome, denied or error: it was
// past its deadline, so it never ran. Readers take the response.ready over
// the refusal.
type RequestRefused struct {
	// Outcome is OutcomeThrottled, OutcomeUnavailable,
	// OutcomeUnauthenticated, OutcomeRejected or OutcomeError.
	Outcome string `json:"outcome"`
	// Reason says, for a human, why the call was refused.
	Reason string `json:"reason"`
	// Error is what the agent was answered.
	Error APIError `json:"error"`
	// Principal is the caller, when its session was opened before the
	// refusal (not for the replica-wide throttle, which refuses before
	// anything is read, nor for a session token that did not open). For
	// an unauthenticated call it is whose genuine session token was
	// presented: the signature did not prove its secret, so it names whose
	// token was used, not who used it.
	// For a credential exchange, it is the web identity token's
	// principal, set only when the token verified.
	Principal *Principal `json:"principal,omitempty"`
	// ClaimedAccessKeyID is the access key id the request's credential
	// scope named, kept only when it has the shape of a jitgate access key
	// id ("JGIA" and 16 base32 characters): not a secret (it travels in
	// the clear and is every request.received's session id), short and of
	// a fixed alphabet whatever a stranger sends, and it ties a flood of
	// bad signatures to the credentials it claims. Anything else claimed
	// (an AWS key id, garbage) is left out. Untrusted unless Principal is
	// set, when it is the session's own id.
	ClaimedAccessKeyID string `json:"claimed_access_key_id,omitempty"`
	// Source is the client address.
	Source string `json:"source,omitempty"`
	// Service and Operation are set once the call was identified;
	// SigningName and Region come from the credential scope, known earlier.
	Service     string `json:"service,omitempty"`
	Operation   string `json:"operation,omitempty"`
	SigningName string `json:"signing_name,omitempty"`
	Region      string `json:"region,omitempty"`
	// Replica is the ingress replica that refused it.
	Replica string `json:"replica"`
}

// EventType implements Payload.
func (*RequestRefused) EventType() Type { return TypeRequestRefused }
