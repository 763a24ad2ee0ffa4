package proc

import "net"

// FreePort returns a TCP port that is free on 127.0.0.1 at the time of the
// call. Another process may take it before the caller binds it; start the
// server that takes it at once to keep that window small.
func FreePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}
