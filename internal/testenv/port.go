package testenv

import (
	"testing"

	"github.com/jitgate/jitgate/internal/proc"
)

// FreePort returns a TCP port that is free on 127.0.0.1 at the time of the
// call (proc.FreePort), failing the test when there is none.
func FreePort(t testing.TB) int {
	t.Helper()
	port, err := proc.FreePort()
	if err != nil {
		t.Fatalf("testenv: free port: %v", err)
	}
	return port
}
