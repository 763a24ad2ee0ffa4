package proc

import "errors"

var (
	// ErrStart reports a process that could not be started.
	ErrStart = errors.New("proc: could not start the process")
	// ErrExited reports a process that ended while something waited for it
	// to become ready.
	ErrExited = errors.New("proc: the process exited")
	// ErrNotReady reports a process that did not become ready in time.
	ErrNotReady = errors.New("proc: not ready in time")
)
