package bus

import (
	"errors"
	"fmt"
	"time"
)

// The failure policy every stage shares (RunStage; RunBatches applies the
// panic part): an event that cannot be decoded, or that no retry can
// handle (ErrPoison, an output too large to publish), is dead-lettered at
// once; an event whose handler fails or panics is tried again with backoff
// and dead-lettered on its MaxAttempts-th failure; ErrNotReady is waiting,
// not failing, and never counts. A dead letter is published in the
// transaction that commits the record's offset, so the partition moves on
// and the record is neither lost nor handled twice.

// Defaults of the failure policy.
const (
	DefaultMaxAttempts   = 5
	DefaultRetryPause    = time.Second
	DefaultMaxRetryPause = 10 * time.Second
	DefaultNotReadyPause = 50 * time.Millisecond
)

// recordRef names a record by its place.
type recordRef struct {
	topic     string
	partition int32
	offset    int64
}

// maxTracked bounds the records whose failures are remembered; past it the
// counts start over (a rebalance can leave entries for partitions this
// member lost).
const maxTracked = 4096

// attempts counts the failed tries of records not yet committed. Only the
// loop's goroutine uses it.
type attempts map[recordRef]int

func (a attempts) fail(r recordRef) int {
	if len(a) >= maxTracked {
		clear(a)
	}
	a[r]++
	return a[r]
}

func (a attempts) get(r recordRef) int { return a[r] }

// settled forgets records whose offsets were committed.
func (a attempts) settled(refs []recordRef) {
	for _, r := range refs {
		delete(a, r)
	}
}

// retryError is a batch that failed because one of its events failed: the
// batch is tried again after a backoff that grows with attempt.
type retryError struct {
	attempt int
	err     error
}

func (e *retryError) Error() string {
	return fmt.Sprintf("attempt %d: %v", e.attempt, e.err)
}

func (e *retryError) Unwrap() error { return e.err }

// pause is how long to wait after a batch failed with err: NotReadyPause
// for ErrNotReady, else RetryPause doubled per attempt up to
// MaxRetryPause.
func (cfg StageConfig) pause(err error) time.Duration {
	switch {
	case errors.Is(err, ErrNotReady):
		return cfg.NotReadyPause
	case errors.Is(err, errRebalanced):
		return 0
	}
	var re *retryError
	if !errors.As(err, &re) || re.attempt <= 1 {
		return cfg.RetryPause
	}
	d := cfg.RetryPause
	for i := 1; i < re.attempt && d < cfg.MaxRetryPause; i++ {
		d *= 2
	}
	return min(d, cfg.MaxRetryPause)
}
