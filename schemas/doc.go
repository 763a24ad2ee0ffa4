// Package schemas owns jitgate's event model: the envelope every Kafka record
// carries, one typed payload per event type, the topics, and strict decoding.
//
// Every record is keyed by its request id (or, for state that outlives a
// request, by the id of that state: a hold or a grant), so that all events of
// one request land on one partition in order. The envelope's type, version and
// request id are also copied into Kafka record headers so that tools can route
// records without decoding them. Body chunk events are the exception to the
// JSON envelope: their record value is the raw data and every field travels
// in a header (chunk.go: EncodeChunk, DecodeChunk).
//
// Decoding is strict: an unknown event type, an unknown schema version, or a
// payload that does not match its type is an error, never a silent default.
// The wire form is the JSON encoding/json writes; codec.go writes envelopes
// and reads events faster than encoding/json, to the same bytes and values.
// docs/events.md describes each event and topic.
//
// This package imports nothing else from jitgate.
package schemas
