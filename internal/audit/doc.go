// Package audit answers auditors' questions from the recorder's ClickHouse
// tables: the timeline of one request, recent requests by principal,
// service, operation and outcome, and read-only ad-hoc SQL. It backs the
// `jitgate audit` commands.
//
// Every query reads the events table with FINAL, so an event the recorder
// stored twice (a Kafka redelivery) is counted once. Every call runs under
// a deadline (Client.Timeout).
//
// Files: client.go (Open), timeline.go, recent.go, query.go (read-only
// check and generic row rendering), errors.go.
package audit
