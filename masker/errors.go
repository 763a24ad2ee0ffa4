package masker

import "errors"

// withheldError is a body the masker could not check for secrets and so
// did not pass on.
type withheldError struct {
	reason string // for the log and the security event; never quotes the body
	agent  string // the message the agent gets, saying what to do next
	err    error  // the cause; its text may quote the body, do not log it
}

func (e *withheldError) Error() string { return "masker: response withheld: " + e.reason }

func (e *withheldError) Unwrap() error { return e.err }

// errTooLargeToMask is a body of unknown length that outgrew MaxBody while
// the masker read it.
var errTooLargeToMask = errors.New("masker: response too large to mask")
