package bus

import (
	"errors"
	"fmt"

	"github.com/jitgate/jitgate/schemas"
)

// TooLargeError reports an event that would exceed MaxRecordBytes. The
// producer should have chunked the body.
type TooLargeError struct {
	Type schemas.Type
	Size int
}

func (e *TooLargeError) Error() string {
	return fmt.Sprintf("bus: %s event of %d bytes exceeds the %d-byte record limit; bodies this large must be chunked", e.Type, e.Size, MaxRecordBytes)
}

// DecodeError reports a record that is not a jitgate event this build reads.
type DecodeError struct {
	Topic     string
	Partition int32
	Offset    int64
	Err       error
}

func (e *DecodeError) Error() string {
	return fmt.Sprintf("bus: record %s/%d@%d: %v", e.Topic, e.Partition, e.Offset, e.Err)
}

func (e *DecodeError) Unwrap() error { return e.Err }

// ErrNotReady is returned by a handler (wrapped) when it must wait for
// something outside the event, such as a state view catching up: the loop
// retries the batch soon without a warning.
var ErrNotReady = errors.New("bus: not ready; will retry")

// ErrBodyFailed reports a streamed body whose writer gave up part way (a
// response.body_chunk carrying Error): the upstream's body broke off.
var ErrBodyFailed = errors.New("bus: the body broke off upstream")

// ErrPoison is returned by a handler (wrapped) for an event no retry can
// handle: the loop dead-letters it at once instead of trying again.
// Decoding errors from package schemas count as poison without it.
var ErrPoison = errors.New("bus: event can never be handled")

// ErrFenced is returned by RunStage when another process took over this
// stage's identity (its transactional id or its static group membership):
// two processes run with the same --instance, or this one was frozen long
// enough to be replaced. The stage stops rather than fight for the
// partitions; exit non-zero and let the supervisor decide.
var ErrFenced = errors.New("bus: fenced: another process with the same instance id took over this stage")

// ErrProducerFailed is returned by RunStage when its transactional producer
// stayed unusable after being rebuilt several times in a row.
var ErrProducerFailed = errors.New("bus: transactional producer failed and could not be rebuilt")

// ErrStalled is matched by the *StallError a stage session's watchdog ends
// it with (watchdog.go): partitions with records waiting saw no progress
// for StallTimeout. RunStage recovers from it by itself (it rebuilds the
// client); it never returns it.
var ErrStalled = errors.New("bus: stage stalled")

// PanicError is a panic in a handler, recovered by the loop and counted as
// a failure of the event (or batch) being handled.
type PanicError struct {
	Value any
	Stack []byte
}

func (e *PanicError) Error() string { return fmt.Sprintf("handler panic: %v", e.Value) }
