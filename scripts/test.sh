#!/usr/bin/env bash
# test.sh runs the Go tests against real servers: it starts one Kafka broker
# (scripts/kafka.sh) in a temporary directory on a free port for the whole
# run, exports JITGATE_TEST_KAFKA so internal/testenv uses it, runs
# `go test -count=1`, and stops the broker by PID on the way out, whatever
# happened. ClickHouse servers are started per test by internal/testenv
# (they start in well under a second).
#
#   scripts/test.sh [GO TEST ARGS...]   default: ./...
#
# Run scripts/deps.sh first (the Makefile's test target does). Missing
# servers fail the tests here (JITGATE_REQUIRE_SERVERS=1) instead of skipping
# them. Environment: JITGATE_TEST_TIMEOUT (go test -timeout, default 20m).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/.." && pwd)
# shellcheck source=scripts/lib.sh
source "$here/lib.sh"

kafka_dir=$(mktemp -d "${TMPDIR:-/tmp}/jitgate-test-kafka.XXXXXX")
cleanup() {
	"$here/kafka.sh" stop "$kafka_dir" || true
	rm -rf "$kafka_dir"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

port=$(free_port)
"$here/kafka.sh" start "$kafka_dir" "$port"
export JITGATE_TEST_KAFKA="127.0.0.1:$port"
export JITGATE_REQUIRE_SERVERS=${JITGATE_REQUIRE_SERVERS:-1}

if (($# == 0)); then
	set -- ./...
fi
cd "$root"
log "go test -count=1 -timeout ${JITGATE_TEST_TIMEOUT:-20m} $* (Kafka at $JITGATE_TEST_KAFKA)"
go test -count=1 -timeout "${JITGATE_TEST_TIMEOUT:-20m}" "$@"
