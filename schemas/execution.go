package schemas

import "time"

// ExecutionStarted is written before the executor sends the call upstream,
// so that after a crash a started-but-unfinished call is known. Executors
// seal it with the decision key.
type ExecutionStarted struct {
	// Attempt is 1 for the call the decision started, 2 for the one retry
	// of a read-only call whose first attempt an executor crash left open.
	Attempt  int    `json:"attempt"`
	Endpoint string `json:"endpoint"` // upstream URL, without query
	ReadOnly bool   `json:"read_only"`
	// IdempotencyToken is the request's (RequestReceived.IdempotencyToken):
	// set, the call may be retried once after a crash although it writes.
	IdempotencyToken string `json:"idempotency_token,omitempty"`
	ReplyTo          string `json:"reply_to"`
	// Service, Operation and Protocol are the request's, and Deadline is
	// when its agent stops waiting: what an executor needs to end a call a
	// crash left open without reading its decision. Empty in events
	// written before recovery existed.
	Service   string    `json:"service,omitempty"`
	Operation string    `json:"operation,omitempty"`
	Protocol  string    `json:"protocol,omitempty"`
	Deadline  time.Time `json:"deadline,omitzero"`
	// Decision is the decision record that started the call. Its partition
	// names the executor replica that recovers the call if it stays open
	// (the one that owns that partition of the decisions topic), and a
	// read-only call is retried from it. Nil in events written before
	// recovery existed.
	Decision *RecordRef `json:"decision,omitempty"`
}

// EventType implements Payload.
func (*ExecutionStarted) EventType() Type { return TypeExecutionStarted }

// ExecutionFinished.ErrorKind values.
const (
	// ErrorOutcomeUnknown marks a call whose execution.started committed
	// but whose executor stopped before its answer was recorded: it may or
	// may not have reached AWS. Written once per request by the executor
	// that recovers the call (event id REQUEST_ID/execution.finished/unknown,
	// whichever replica writes it); the agent is told the outcome is unknown
	// and to check before retrying.
	ErrorOutcomeUnknown = "outcome_unknown"
)

// ExecutionFinished carries the upstream's raw, unmasked answer.
type ExecutionFinished struct {
	ReplyTo   string `json:"reply_to"`
	Service   string `json:"service"`
	Operation string `json:"operation"`
	Protocol  string `json:"protocol"`
	// Principal is the caller of the request (RequestReceived.Principal),
	// for masking rules scoped to principals or groups. Nil in events
	// written before it existed; the masker then applies every such rule.
	Principal *Principal   `json:"principal,omitempty"`
	Response  HTTPResponse `json:"response"`
	// Error is set when no HTTP answer came back (transport failure).
	Error string `json:"error,omitempty"`
	// ErrorKind classifies Error: "" for an ordinary failure (the gateway
	// did not get an answer, and says why), ErrorOutcomeUnknown for a call
	// nobody knows the outcome of. Decoders reject no value here, but
	// readers treat only the kinds they know specially.
	ErrorKind  string `json:"error_kind,omitempty"`
	DurationMS int64  `json:"duration_ms"`
}

// EventType implements Payload.
func (*ExecutionFinished) EventType() Type { return TypeExecutionFinished }

// HTTPResponse is an upstream HTTP answer.
type HTTPResponse struct {
	Status  int      `json:"status"`
	Headers []Header `json:"headers,omitempty"`
	Body    []byte   `json:"body,omitempty"`
	// BodySize is the body's length; -1 when the upstream did not say
	// (no Content-Length) and the body streams in chunks.
	BodySize int64 `json:"body_size"`
	// BodyChunks > 0 means the body follows as that many
	// response.body_chunk events; -1 means it follows as chunks up to the
	// one marked Last (a body of unknown length, e.g. an event stream).
	BodyChunks int `json:"body_chunks,omitempty"`
}
