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
