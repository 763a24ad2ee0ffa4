package schemas

// Terminal outcomes a request ends in.
const (
	OutcomeExecuted = "executed" // upstream answered (any status)
	OutcomeDenied   = "denied"   // policy or an approver said no, or a hold expired
	OutcomeHeld     = "held"     // still awaiting approval when the agent's wait ran out
	OutcomeError    = "error"    // the gateway could not complete the call
	OutcomeUnknown  = "unknown"  // a non-idempotent call may or may not have run
)

// APIError is an error the ingress renders in the agent's protocol.
type APIError struct {
	Status  int    `json:"status"`
	Code    string `json:"code"`
	Message string `json:"message"`
}

// ResponseReady is the answer the ingress sends the agent.
type ResponseReady struct {
	ReplyTo  string        `json:"reply_to"`
	Outcome  string        `json:"outcome"`
	Response *HTTPResponse `json:"response,omitempty"` // set when executed
	Error    *APIError     `json:"error,omitempty"`    // set otherwise
	// Masked lists the field paths the masker redacted.
	Masked []string `json:"masked,omitempty"`
}

// EventType implements Payload.
func (*ResponseReady) EventType() Type { return TypeResponseReady }

// ResponseBodyChunk carries part of a large response body. Chunks follow
// their execution.finished (raw) or response.ready (masked) in order; the
// executor publishes them as the upstream's body arrives.
type ResponseBodyChunk struct {
	ReplyTo string `json:"reply_to"`
	Seq     int    `json:"seq"`
	Data    []byte `json:"data"`
	Last    bool   `json:"last,omitempty"`
	// Maskable marks raw chunks of a body the masker rewrites whole (JSON,
	// XML): it reads them itself when it handles execution.finished and
	// never passes them on. Other raw chunks stream through unchanged.
	Maskable bool `json:"maskable,omitempty"`
	// Error, set on a last chunk without data, says the body broke off
	// part way (the upstream stopped sending): readers fail instead of
	// passing a truncated body off as whole.
	Error string `json:"error,omitempty"`
}

// EventType implements Payload.
func (*ResponseBodyChunk) EventType() Type { return TypeResponseBodyChunk }
