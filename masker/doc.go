// Package masker redacts responses before agents see them.
//
// Input topic: executions (execution.finished with the upstream's raw
// answer, and raw response.body_chunk events). Output topic: responses
// (response.ready and masked or passed-through response.body_chunk events,
// addressed to the ingress replica that waits for them).
//
// The built-in credential rules always apply (an agent that receives real
// AWS credentials can bypass the gateway for good), whatever the masking
// rules file says; the file adds field rules per service and operation.
// JSON and XML bodies are rewritten in place and checksum headers fixed.
// A body the masker cannot parse is not passed on: the agent gets an error
// (fail closed). Bodies the masker does not rewrite (S3 objects, binary)
// stream through chunk by chunk.
//
// Delivery: each input's outputs and its offset commit in one Kafka
// transaction; the masker keeps no state, so any replica can take over.
package masker
