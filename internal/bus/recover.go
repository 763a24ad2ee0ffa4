package bus

import (
	"context"
	"runtime/debug"
)

// recovered runs f, turning a panic into a *PanicError so that a bug in one
// handler is a failure of what it was handling, under the failure policy,
// not the end of the process. RunStage and RunBatches both call handlers
// through it.
func recovered[T any](f func() (T, error)) (out T, err error) {
	defer func() {
		if p := recover(); p != nil {
			var zero T
			out, err = zero, &PanicError{Value: p, Stack: debug.Stack()}
		}
	}()
	return f()
}

// callStage runs a stage handler under recovered.
func callStage(ctx context.Context, h Handler, m Message) (Result, error) {
	return recovered(func() (Result, error) { return h(ctx, m) })
}

// callBatch runs a batch handler under recovered.
func callBatch(ctx context.Context, h BatchHandler, ms []Message) error {
	_, err := recovered(func() (struct{}, error) { return struct{}{}, h(ctx, ms) })
	return err
}
