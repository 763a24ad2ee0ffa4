package schemas

// TypeRequestRefused is the type of RequestRefused.
const TypeRequestRefused Type = "request.refused"

// Terminal outcomes of a call the ingress answered at its door, without
// publishing a request.received (RequestRefused.Outcome).
const (
	// OutcomeThrottled: too many calls in flight (at the replica or for the
	// principal); the agent got the protocol's throttling error with
	// Retry-After, and its SDK retries with backoff.
	OutcomeThrottled = "throttled"
	// OutcomeUnavailable: the ingress could not publish the call (the
	// broker unreachable or not acknowledging before the call's deadline);
	// the agent got ServiceUnavailable.
	OutcomeUnavailable = "unavailable"
)

// RequestRefused is the terminal outcome of a call the ingress refused at
// its door: it never entered the pipeline, nothing ran, and the agent was
// answered with Error and the request id. The ingress publishes it to
// TopicResponses (without a reply-to, so no replica waits for it),
// best effort, in the background: event id REQUEST_ID/request.refused, so a
// copy published again is the same event. It carries no credentials,
// parameters or body.
//
// A call refused as unavailable whose request.received the broker took
// after all (acknowledged only after the ingress gave up at the call's
// deadline) also gets the pipeline's own outcome, denied or error: it was
// past its deadline, so it never ran. Readers take the response.ready over
// the refusal.
type RequestRefused struct {
	// Outcome is OutcomeThrottled or OutcomeUnavailable.
	Outcome string `json:"outcome"`
	// Reason says, for a human, why the call was refused.
	Reason string `json:"reason"`
	// Error is what the agent was answered.
	Error APIError `json:"error"`
	// Principal is the caller, when its session was opened before the
	// refusal (not for the replica-wide throttle, which refuses before
	// anything is read).
	Principal *Principal `json:"principal,omitempty"`
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
