package schemas

// Topic names. Every role takes a prefix (default "jitgate.") so that one
// cluster can carry several gateways; these are the suffixes.
const (
	// TopicRequests carries request.received (and, from older ingresses,
	// request.body_chunk), keyed by request id. Written by the ingress,
	// read by the decider.
	TopicRequests = "requests"
	// TopicBodies carries request.body_chunk: large request bodies, keyed
	// by request id, published while the ingress verifies the body and
	// before the request.received that names them (HTTPRequest.ChunksFrom).
	// Only the executor reads it, by offset: the decider never wades
	// through a body to reach the next request.
	TopicBodies = "bodies"
	// TopicDecisions carries decision.made, keyed by request id. Written by
	// the decider, read by the executor.
	TopicDecisions = "decisions"
	// TopicHolds carries the hold lifecycle (hold.opened, hold.justified,
	// approval.given, hold.denied, hold.approved, hold.expired), keyed by
	// request id.
	TopicHolds = "holds"
	// TopicGrants carries grant.opened and grant.revoked, keyed by grant id.
	TopicGrants = "grants"
	// TopicExecutions carries execution.started, execution.finished and raw
	// response.body_chunk events, keyed by request id. Raw responses are
	// unmasked: this topic has a short retention and only the masker reads
	// bodies from it.
	TopicExecutions = "executions"
	// TopicResponses carries response.ready and masked response.body_chunk
	// events, keyed by request id, and the ingress's request.refused and
	// session.issued (no reply-to). Every
	// ingress replica reads it whole and keeps the replies addressed to
	// itself.
	TopicResponses = "responses"
	// TopicPolicy carries policy.loaded, keyed by policy hash.
	TopicPolicy = "policy"
	// TopicSecurity carries security.refused: requests and events a stage
	// refused as possible attacks, keyed by request id (or event id).
	TopicSecurity = "security"
	// TopicSignatures carries signature.seen: digests of the request
	// signatures the ingress accepted, keyed by digest, with no request id
	// (they are not part of a request's lifecycle). Every ingress replica
	// tails it (from a look-back window at start) to refuse replays another
	// replica already served. Small records; nothing else reads it.
	TopicSignatures = "signatures"
	// TopicDeadLetters carries dead_letter: records a stage gave up on
	// (undecodable, or failing on every try), keyed by the request id when
	// known, else by their location. Written by every stage's loop, read by
	// the recorder and `jitgate deadletters`.
	TopicDeadLetters = "deadletters"
)

// AllTopics lists every topic suffix, in data-path order.
var AllTopics = []string{TopicRequests, TopicBodies, TopicDecisions, TopicHolds, TopicGrants, TopicExecutions, TopicResponses, TopicPolicy, TopicSecurity, TopicSignatures, TopicDeadLetters}

// Kafka record header names carrying envelope fields, so tools can route a
// record without decoding its value.
const (
	HeaderType      = "jg-type"
	HeaderVersion   = "jg-version"
	HeaderRequestID = "jg-request-id"
	// HeaderReplyTo names the ingress replica waiting for this request's
	// reply; it is set on response.ready and response chunks.
	HeaderReplyTo = "jg-reply-to"
)
