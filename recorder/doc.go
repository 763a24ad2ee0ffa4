// Package recorder is the stage that writes every jitgate event into
// ClickHouse, the auditors' append-only event log.
//
// Input: every topic in schemas.AllTopics (requests, decisions, holds,
// grants, executions, responses, policy, security, signatures,
// deadletters), all event types, consumed as the
// group "jitgate-recorder". Output: rows in the ClickHouse table
// <database>.events (one per event) and the view <database>.requests (one
// row per request; its hold column ends a hold as the holds view does, by
// the first ending event in log order: approved when a hold.approved
// exists, else the first hold.denied or hold.expired by holds-topic
// offset). It publishes nothing.
//
// Delivery: at least once into ClickHouse, counted once. Offsets are
// committed only after a batch is stored (bus.RunBatches), so while
// ClickHouse is down events stay in Kafka and are recorded when it is back.
// events is a ReplacingMergeTree ordered by (request_id, ts_us, event_id):
// a redelivered event replaces its earlier row, and queries with FINAL count
// it once.
//
// Secrets: rows never hold raw response bodies (executions topic), chunk
// data, or the Authorization, X-Amz-Security-Token and cookie headers.
// Request and response bodies, parameters and query strings are masked by
// the masking engine (built-in credential rules at least) and bodies are
// capped at Config.BodyCap bytes; what cannot be masked is dropped. Records
// that do not decode are kept as type "undecodable" with their scrubbed
// value; a body chunk record (raw data, fields in headers) keeps the
// fields its headers carry and never its data.
//
// ClickHouse 18.16 (Debian) is the oldest server supported: batches are
// inserted as one INSERT ... SELECT from an external table (the driver's
// PrepareBatch does not work there), and the schema sticks to what 18.16
// accepts; newer features are version-gated migrations (migrate.go).
//
// Files: config.go (Config, Deps), errors.go, recorder.go (New, Run),
// insert.go (one INSERT per batch), migrate.go (schema and migrations),
// status.go (the one-line "ClickHouse is down" reporting), internal/row
// (event → row, scrubbing).
package recorder
