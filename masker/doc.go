// Package masker redacts responses before agents see them.
//
// Input topic: executions (execution.finished with the upstream's raw
// answer, and raw response.body_chunk events). Output topics: responses
// (response.ready and masked or passed-through response.body_chunk events,
// addressed to the ingress replica that waits for them) and security
// (security.refused when an answer is withheld).
//
// The built-in credential rules always apply (an agent that receives real
// AWS credentials can bypass the gateway for good), whatever the masking
// rules file says, and so do the members botocore marks "sensitive" for
// the operation (Deps.Sensitive); the file adds field rules per service and
// operation. gzip and deflate bodies are decoded first (the executor asks
// for identity unless the agent signed Accept-Encoding); JSON, XML and CBOR
// bodies are rewritten in place and checksum headers fixed. A body the
// masker cannot parse or decode is not passed on: the agent gets an error
// (fail closed) and a security.refused event (kind withheld_response) goes
// to the security topic. Bodies the masker does not rewrite (S3 objects,
// binary) stream through chunk by chunk. docs/masking.md has the details.
//
// An execution.finished whose ErrorKind is schemas.ErrorOutcomeUnknown (an
// executor recovered a call a crash interrupted) becomes response.ready
// with outcome unknown and the error OutcomeUnknown, HTTP 409, which no SDK
// retries by itself (unknown.go).
//
// Delivery: each input's outputs and its offset commit in one Kafka
// transaction; the masker keeps no state, so any replica can take over.
package masker
