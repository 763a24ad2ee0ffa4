package testenv

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/jitgate/jitgate/internal/proc"
)

// Server is a server for the test: one this package started, which it can
// stop and start again on the same ports and data directory (fault tests
// stop the broker or ClickHouse mid-load), or one named by the environment
// (JITGATE_TEST_KAFKA, JITGATE_TEST_CLICKHOUSE), which it never touches.
type Server struct {
	// Addr is the server's address (host:port).
	Addr string

	spec    proc.Spec
	ready   func(context.Context) error
	timeout time.Duration

	mu sync.Mutex
	p  *proc.Process // nil for an external server
}

// External reports whether the server came from the environment: it is
// shared with other tests and cannot be stopped or restarted.
func (s *Server) External() bool { return s.spec.Path == "" }

// startServer starts spec, waits until ready succeeds, and stops the server
// at the test's cleanup.
func startServer(t testing.TB, addr string, spec proc.Spec, timeout time.Duration, ready func(context.Context) error) *Server {
	t.Helper()
	s := &Server{Addr: addr, spec: spec, ready: ready, timeout: timeout}
	if err := s.start(); err != nil {
		t.Fatalf("testenv: %v", err)
	}
	t.Cleanup(s.Stop)
	return s
}

func (s *Server) start() error {
	p, err := proc.Start(s.spec)
	if err != nil {
		return err
	}
	s.mu.Lock()
	s.p = p
	s.mu.Unlock()
	if err := proc.WaitFor(context.Background(), s.spec.Name, s.timeout, s.ready, p); err != nil {
		p.Stop()
		return err
	}
	return nil
}

// errExternal is returned by Start for a server the test did not start.
var errExternal = errors.New("testenv: the server comes from the environment and is not this test's to restart")

// Stop stops the server (SIGTERM, then SIGKILL) and waits; a stopped or
// external server is left alone.
func (s *Server) Stop() {
	s.mu.Lock()
	p := s.p
	s.mu.Unlock()
	if p != nil {
		p.Stop()
	}
}

// Start starts a stopped server again on the same ports and data and waits
// until it is ready. The server is stopped at the test's cleanup as before.
func (s *Server) Start() error {
	if s.External() {
		return errExternal
	}
	s.mu.Lock()
	p := s.p
	s.mu.Unlock()
	if p != nil && !p.Exited() {
		return nil
	}
	return s.start()
}
