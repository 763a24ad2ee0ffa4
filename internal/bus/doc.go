// Package bus is jitgate's Kafka plumbing on franz-go: topic set-up, a
// publisher, the shared consume → handle → produce → commit loop every stage
// runs (transactional by default, so a stage's outputs and its input offsets
// commit together or not at all; or, for a pure stage whose outputs derive
// from its input, idempotent: outputs acknowledged first, offsets committed
// after, a batch handled again written again as the same events, see
// idempotent.go; a batch that publishes nothing opens no transaction and
// commits nothing, and a stage may skip event types it does not read
// undecoded; one failure policy for every stage: undecodable events and
// events whose handler keeps failing or panicking go to the deadletters
// topic and the partition moves on, see failure.go), static group
// membership with fencing and fast failover (membership.go), the
// partitions a member owns for stages that act once per request outside
// the loop (owned.go), a tailer for readers outside any group (from the
// start, the end, or a timestamp, optionally skipping other event types
// undecoded or noting them from their headers alone), the security.refused events a stage writes when it refuses a
// request or a Kafka event (security.go, forged.go), and an embedded
// Kafka-protocol broker for `jitgate dev` and tests.
//
// Events travel as JSON envelopes, body chunks in their raw record form
// (data as the value, fields in headers; schemas.EncodeChunk), which
// record.go maps onto franz-go records both ways: no stage encodes or
// decodes a body as JSON. Body readers (chunks.go) fetch several chunks per
// round trip and check them ahead of the reader.
//
// Stages never see franz-go: they get Messages and return Outputs.
package bus
