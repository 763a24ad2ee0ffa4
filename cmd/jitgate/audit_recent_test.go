package main

import (
	"errors"
	"strings"
	"testing"

	"github.com/jitgate/jitgate/internal/audit"
)

// TestAuditRecentOutcomeValidated: `jitgate audit recent --outcome bogus`
// fails before it reaches ClickHouse, naming the value and listing the
// valid outcomes; the flag's usage lists them too.
func TestAuditRecentOutcomeValidated(t *testing.T) {
	// Nothing listens on port 1: a query would fail with a connection error.
	out, err := runApp(t, "audit", "--clickhouse", "127.0.0.1:1", "recent", "--outcome", "bogus")
	if !errors.Is(err, audit.ErrBadOutcome) {
		t.Fatalf("got %v (output %s), want the unknown outcome refused", err, out)
	}
	msg := err.Error()
	if !strings.Contains(msg, `"bogus"`) || !strings.Contains(msg, "--outcome") {
		t.Errorf("%q does not name the flag and the value", msg)
	}
	help, err := runApp(t, "audit", "recent", "--help")
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range audit.Outcomes {
		if !strings.Contains(msg, o) {
			t.Errorf("the error does not list %q: %s", o, msg)
		}
		if !strings.Contains(help, o) {
			t.Errorf("the usage does not list %q:\n%s", o, help)
		}
	}
}

// TestDoorLogFlags: the ingress role and `jitgate dev` take the door log's
// queue size and the strangers' refusal rate, with descriptions and
// environment variables.
func TestDoorLogFlags(t *testing.T) {
	for _, cmd := range []string{"ingress", "dev"} {
		t.Run(cmd, func(t *testing.T) {
			help, err := runApp(t, cmd, "--help")
			if err != nil {
				t.Fatal(err)
			}
			for _, want := range []string{"--door-log-queue", "JITGATE_DOOR_LOG_QUEUE", "credential exchanges",
				"--untrusted-refusal-rate", "JITGATE_UNTRUSTED_REFUSAL_RATE", "did not prove their secret"} {
				if !strings.Contains(help, want) {
					t.Errorf("%s --help lacks %q", cmd, want)
				}
			}
		})
	}
}
