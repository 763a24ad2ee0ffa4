package testenv

import (
	"net"
	"testing"
)

// FreePort returns a TCP port that is free on 127.0.0.1 at the time of the
// call. Another process may take it before the caller binds it; servers
// started here take their ports at once to keep that window small.
func FreePort(t testing.TB) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("testenv: free port: %v", err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}
