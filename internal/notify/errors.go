package notify

import (
	"errors"
	"fmt"
)

var (
	// ErrInvalidConfig is returned by Config.Validate and New for a missing
	// or unusable setting; the wrapped message names the field.
	ErrInvalidConfig = errors.New("notify: invalid configuration")

	// ErrBadSignature is returned by Verify when the signature header is
	// missing, malformed, or does not match the timestamp and body. Reject
	// the delivery.
	ErrBadSignature = errors.New("notify: signature does not verify")

	// ErrStaleTimestamp is returned by CheckTimestamp for a timestamp that is
	// malformed or outside the accepted window: a replayed or badly delayed
	// delivery. Reject it, and check the receiver's clock.
	ErrStaleTimestamp = errors.New("notify: timestamp outside the accepted window")
)

// StatusError reports a webhook endpoint that answered with a non-2xx status.
// Retryable statuses are 429 and 5xx; any other answer is final.
type StatusError struct {
	Code int
	// Body is the start of the response body (at most 256 bytes), to help
	// tell why the receiver refused.
	Body string
}

func (e *StatusError) Error() string {
	if e.Body == "" {
		return fmt.Sprintf("notify: webhook answered %d", e.Code)
	}
	return fmt.Sprintf("notify: webhook answered %d: %s", e.Code, e.Body)
}

// Retryable reports whether a later attempt may succeed (429 and 5xx).
func (e *StatusError) Retryable() bool { return e.Code == 429 || e.Code >= 500 }

// DeliveryError is returned by Send when a notification was not delivered.
// Err is the last attempt's error: a *StatusError, a network error, or the
// context's error when the context ended first.
type DeliveryError struct {
	Delivery string // the X-Jitgate-Delivery id
	Event    string
	Attempts int
	Err      error
}

func (e *DeliveryError) Error() string {
	return fmt.Sprintf("notify: %s delivery %s failed after %d attempt(s): %v", e.Event, e.Delivery, e.Attempts, e.Err)
}

// Unwrap returns the last attempt's error.
func (e *DeliveryError) Unwrap() error { return e.Err }
