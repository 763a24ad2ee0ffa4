// Package ingress is the agents' front door: an HTTP(S) server that speaks
// the AWS APIs.
//
// For every call it (1) answers STS AssumeRoleWithWebIdentity itself,
// exchanging an OIDC token for sealed jitgate session credentials; (2)
// verifies the SigV4 signature of every other call against those
// credentials; (3) identifies service, operation, region and parameters from
// the botocore model index, refusing (400 in the caller's protocol, logged
// and recorded as security.refused on the security topic) any request it
// cannot read one way only or whose operation rests on an unsigned header
// (refuse.go); (4) publishes request.received (and, for large
// bodies, request.body_chunk events) to the requests topic, keyed by request
// id; and (5) waits for the request's response.ready on the responses topic
// and answers the agent in its own protocol. A request not answered within
// the configured wait gets an AWS-style AccessDenied naming the request id.
//
// Input topic: responses (tailed whole by every replica; each keeps the
// replies whose reply-to header names it). Output topics: requests; security
// (refusals that may be attacks).
// Delivery: a request is published once, synchronously, before the agent
// waits; the ingress holds no state that matters after a restart (an
// agent's connection dies with the replica, and the agent retries).
package ingress
