// Package deadletters is the operator's side of the stage loops' failure
// policy (internal/bus): it lists the dead letters on the deadletters topic
// and re-drives them, re-publishing each original record (key, headers and
// value as they were) to its own topic, where its stage handles it again.
// `jitgate deadletters list|redrive` is its command line.
//
// A dead letter whose value was withheld (records of the raw executions
// topic, or too large) is re-driven from its source partition and offset,
// which works only while the source topic still retains it. A redriven
// record carries a jg-redrive-of header naming its dead letter. Redriving
// does not remove the dead letter (topics are append-only); `list` shows
// each dead letter once, however many times a stage wrote it.
package deadletters
