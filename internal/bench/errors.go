package bench

import "errors"

// Errors the harness returns; test them with errors.Is.
var (
	// ErrConfig is an invalid Config.
	ErrConfig = errors.New("bench: invalid configuration")
	// ErrStart is a target that did not come up: a process that exited or
	// never became ready. The message holds the tail of its log.
	ErrStart = errors.New("bench: target did not start")
	// ErrWarmup is a target that never answered a call successfully.
	ErrWarmup = errors.New("bench: target answers no call")
	// ErrUsage is a process's CPU or request count that could not be
	// read; the cell then shows no figure for it.
	ErrUsage = errors.New("bench: cannot read a process's usage")
)
