package schemas

import (
	"encoding/json"
	"time"
)

// Header is one HTTP header line. Requests keep headers as an ordered list
// because order and repetition matter for re-signing.
type Header struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

// Principal is an authenticated OIDC identity.
type Principal struct {
	Subject string   `json:"sub"`
	Issuer  string   `json:"iss"`
	Groups  []string `json:"groups,omitempty"`
}

// HTTPRequest is the agent's original request as the ingress verified it.
// Authorization, X-Amz-Date, X-Amz-Security-Token and presign query
// parameters are removed before publishing: the executor re-signs.
type HTTPRequest struct {
	Method   string   `json:"method"`
	Path     string   `json:"path"` // escaped path as sent, without any /svc/<id> prefix
	RawQuery string   `json:"raw_query,omitempty"`
	Headers  []Header `json:"headers,omitempty"`
	// SignedHeaders are the lowercase header names the agent signed; the
	// executor re-signs exactly these and adds the rest back unsigned.
	SignedHeaders []string `json:"signed_headers,omitempty"`
	// Body holds the decoded payload when it is small enough to travel inline.
	Body []byte `json:"body,omitempty"`
	// BodySize is the decoded payload length in bytes.
	BodySize int64 `json:"body_size"`
	// BodyChunks > 0 means Body is empty and the payload follows as that many
	// request.body_chunk events on the same partition.
	BodyChunks int `json:"body_chunks,omitempty"`
	// ChunkSHA256 is the hex SHA-256 of each body chunk's data, in order.
	// Sealed with the request (and carried in the sealed decision), it
	// binds the chunks to it: readers skip a chunk record whose data does
	// not match, so a record someone else wrote on the partition cannot
	// change the body that runs.
	ChunkSHA256 []string `json:"chunk_sha256,omitempty"`
	// ChunksFrom is the record of the first body chunk. The ingress
	// publishes a large body's chunks while it reads and verifies the body,
	// before this request (which it publishes only once the whole body
	// verified), so readers start there; chunks are inert until a sealed
	// request names their digests. Nil: the chunks follow the request.
	ChunksFrom *RecordRef `json:"chunks_from,omitempty"`
}

// RequestReceived is published by the ingress for every verified agent call.
type RequestReceived struct {
	// ReplyTo names the ingress replica holding the agent's connection.
	ReplyTo   string    `json:"reply_to"`
	Principal Principal `json:"principal"`
	// SessionID is the access key id of the jitgate session that signed.
	SessionID string `json:"session_id"`
	// Role is the RoleArn the agent named when it assumed the session.
	Role        string `json:"role,omitempty"`
	Source      string `json:"source,omitempty"` // client IP address
	Service     string `json:"service"`          // botocore service id, e.g. "s3"
	Operation   string `json:"operation"`        // e.g. "PutObject"
	Protocol    string `json:"protocol"`         // query, ec2, json, rest-json, rest-xml, smithy-rpc-v2-cbor
	SigningName string `json:"signing_name"`
	Region      string `json:"region"`
	ReadOnly    bool   `json:"read_only"`
	// IdempotencyToken is the value the request carries for its
	// operation's idempotency-token member (botocore's idempotencyToken
	// trait: ec2 RunInstances ClientToken; SDKs fill it), "" when the
	// operation has none or the request leaves it empty. AWS runs the same
	// bytes sent twice once, so an executor may retry such a call after a
	// crash.
	IdempotencyToken string `json:"idempotency_token,omitempty"`
	// Effects are the operation's effect classes ("read", "delete",
	// "credentials", ...). The decider sets them from its own AWS model
	// before it decides and replaces whatever a request.received carries
	// (the ingress leaves them empty); decision.made and hold.opened carry
	// the decider's.
	Effects []string `json:"effects,omitempty"`
	// Params are the identified input parameters as a JSON object.
	Params json.RawMessage `json:"params,omitempty"`
	HTTP   HTTPRequest     `json:"http"`
	// Deadline is when the ingress stops waiting and answers the agent.
	Deadline time.Time `json:"deadline"`
	// Answered marks a call the ingress answered itself
	// (sts:GetCallerIdentity, with the agent's own identity); it is
	// published only for the record, with its response.ready, and the
	// decider skips it.
	Answered bool `json:"answered,omitempty"`
}

// EventType implements Payload.
func (*RequestReceived) EventType() Type { return TypeRequestReceived }

// RequestBodyChunk carries part of a large request body. Chunks precede
// their request.received on the same partition (HTTPRequest.ChunksFrom
// names the first), in order.
type RequestBodyChunk struct {
	Seq  int    `json:"seq"` // 0-based
	Data []byte `json:"data"`
	Last bool   `json:"last,omitempty"`
}

// EventType implements Payload.
func (*RequestBodyChunk) EventType() Type { return TypeRequestBodyChunk }
