// Package bus is jitgate's Kafka plumbing on franz-go: topic set-up, a
// publisher, the shared consume → handle → produce → commit loop every stage
// runs (transactional, so a stage's outputs and its input offsets commit
// together or not at all), a tailer for readers outside any group, and an
// embedded Kafka-protocol broker for `jitgate dev` and tests.
//
// Stages never see franz-go: they get Messages and return Outputs.
package bus
