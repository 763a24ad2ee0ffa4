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
// Delivery: at least once, without a Kafka transaction (bus.StageConfig
// Idempotent): a batch's outputs are written by an idempotent producer and
// its input offsets committed once the brokers acknowledged them, so a
// crash between the two writes the outputs again. Every output is a pure
// function of its input and the masking rules (outputs.go): its id is the
// input's id and its role (INPUT_ID/response.ready,
// INPUT_ID/response.body_chunk/SEQ, INPUT_ID/security.refused), its time
// the input's plus n+1 µs, never the clock, so a second copy is the same
// event: the recorder keeps one row (its table is ordered by request id,
// time and event id) and the ingress answers from the first response.ready
// and skips chunks it already wrote. A copy written after the masking rules
// changed may differ in content under the same id; the agent got the first.
// The masker keeps no state, so any replica can take over.
package masker
