// Package ingress is the agents' front door: an HTTP(S) server that speaks
// the AWS APIs.
//
// For every call it (1) answers STS AssumeRoleWithWebIdentity itself,
// exchanging an OIDC token for sealed jitgate session credentials; (2)
// opens the session the call's Authorization header or presign query
// names, before reading any of the body (strangers' bodies are never read;
// the unsigned STS form is capped at 64 KiB), then reads the body (paced:
// a stalled or trickled body is cut off) and verifies the SigV4 signature,
// refusing unsigned x-amz-* headers, unsigned payloads outside S3 and SigV2:
// an S3 blob payload whose hash the signature declares streams (the
// signature is checked before the body, the body as it flows, and its
// request.body_chunk events go to the bodies topic on the way; verify.go,
// stream.go), every other body is held whole up to MaxParsedBody;
// (3) identifies service, operation, region and parameters from the
// botocore model index, seeing only the signed headers and a short
// allow-list of harmless unsigned ones (the only headers it forwards), and
// refuses (400 in the caller's protocol) any request it cannot read one way
// only or whose operation rests on an unsigned header (refuse.go);
// (4) refuses a signature seen before (replay.go); (5) publishes
// request.received, only once the whole body verified (naming the digests
// of its chunks and where the first lies, when it did not fit inline), to
// the requests topic, keyed by request id, with signature.seen to the
// signatures topic; and (6) waits for the request's response.ready on the
// responses topic and answers the agent in its own protocol, once: a
// response.ready or body chunk that arrives a second time (the masker
// writes at least once) is skipped (answer.go). A request not
// answered within the configured wait gets an AWS-style AccessDenied naming
// the request id. Calls in flight are bounded per replica and per principal
// (limits.go). Every call answered at the door without being published
// (throttled, the broker not taking it, a signature or session that does
// not check out, a request rejected as it stands, an internal failure)
// ends in one request.refused on the responses topic, with a
// security.refused on the security topic when it may be an attack
// (refusal.go); every credential exchange ends in one session.issued or
// one request.refused (exchange.go). One door log publishes all of them in
// the background, never on the request path, through a bounded queue that
// drops and counts beyond its bound (and strangers' calls beyond their
// rate) and waits out a broker outage (doorlog.go).
//
// Input topics: responses (tailed whole by every replica; each keeps the
// replies whose reply-to header names it), holds and grants (from the
// start), signatures (from the replay look-back). Output topics: requests,
// signatures, security, responses (request.refused, session.issued, and
// the answer to GetCallerIdentity).
// Delivery: a request is published once, synchronously, before the agent
// waits; the ingress holds no state that matters after a restart (an
// agent's connection dies with the replica, and the agent retries).
package ingress
