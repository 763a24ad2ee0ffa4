// Package testenv gives tests real servers: a throwaway ClickHouse and a real
// Apache Kafka broker, each on free 127.0.0.1 ports and stopped when the test
// ends.
//
// The servers come from what scripts/deps.sh installs (Debian's
// clickhouse-server, the Kafka jars from Maven Central) and are started by
// scripts/clickhouse.sh and scripts/kafka.sh, so tests, `make dev` and CI run
// the same configuration.
//
// Environment:
//
//   - JITGATE_TEST_KAFKA (host:port): use this broker instead of starting one.
//     scripts/test.sh starts one broker for the whole `go test ./...` run and
//     sets it, because a broker takes about ten seconds to start. Tests that
//     share it must use their own topic and group names.
//   - JITGATE_TEST_CLICKHOUSE (host:port, native protocol): use this server.
//   - CI (any value) or JITGATE_REQUIRE_SERVERS=1: a missing server binary or
//     missing jars fail the test (with what to run) instead of skipping it.
//
// Every process a test starts is stopped by PID at cleanup, and on Linux it
// also gets SIGKILL if the test binary dies first (Pdeathsig), so a killed
// `go test` leaves nothing running.
package testenv
