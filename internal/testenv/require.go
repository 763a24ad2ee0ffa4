package testenv

import (
	"errors"
	"os"
	"os/exec"
	"strings"
	"testing"
)

// exitMissing is the exit code with which scripts/kafka.sh libs and
// scripts/clickhouse.sh bin say that what they look for is not installed.
const exitMissing = 3

// serversRequired reports whether a missing server must fail the test rather
// than skip it: under CI (CI set to anything but "" or "false") or with
// JITGATE_REQUIRE_SERVERS=1.
func serversRequired(getenv func(string) string) bool {
	if v := getenv("CI"); v != "" && v != "false" && v != "0" {
		return true
	}
	return getenv("JITGATE_REQUIRE_SERVERS") == "1"
}

// missing skips the test, or fails it where servers are required, saying
// what is missing and what to run. what ends with its verb: "x is", "y are".
func missing(t testing.TB, what string) {
	t.Helper()
	msg := "testenv: " + what + " not installed; run `make deps` (scripts/deps.sh)"
	if serversRequired(os.Getenv) {
		t.Fatal(msg)
	}
	t.Skip(msg)
}

// probe runs `bash scripts/NAME ARG` and returns its trimmed output. It
// returns ok false if the script exits with exitMissing and fails the test
// on any other error.
func probe(t testing.TB, name, arg string) (out string, ok bool) {
	t.Helper()
	cmd := exec.Command("bash", script(t, name), arg)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	b, err := cmd.Output()
	var exit *exec.ExitError
	if errors.As(err, &exit) && exit.ExitCode() == exitMissing {
		return "", false
	}
	if err != nil {
		t.Fatalf("testenv: scripts/%s %s: %v: %s", name, arg, err, stderr.String())
	}
	return strings.TrimSpace(string(b)), true
}
