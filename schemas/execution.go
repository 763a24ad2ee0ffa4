package schemas

// ExecutionStarted is written before the executor sends the call upstream,
// so that after a crash a started-but-unfinished call is known.
type ExecutionStarted struct {
	Attempt  int    `json:"attempt"`
	Endpoint string `json:"endpoint"` // upstream URL, without query
	ReadOnly bool   `json:"read_only"`
	ReplyTo  string `json:"reply_to"`
}

// EventType implements Payload.
func (*ExecutionStarted) EventType() Type { return TypeExecutionStarted }

// ExecutionFinished carries the upstream's raw, unmasked answer.
type ExecutionFinished struct {
	ReplyTo   string       `json:"reply_to"`
	Service   string       `json:"service"`
	Operation string       `json:"operation"`
	Protocol  string       `json:"protocol"`
	Response  HTTPResponse `json:"response"`
	// Error is set when no HTTP answer came back (transport failure).
	Error      string `json:"error,omitempty"`
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
