package proc

import (
	"context"
	"fmt"
	"net/http"
	"time"
)

// WaitFor calls ready every 100 ms until it returns nil, one of procs
// exits (ErrExited), or timeout or ctx ends (ErrNotReady). Errors carry
// the tails of the processes' logs.
func WaitFor(ctx context.Context, what string, timeout time.Duration, ready func(context.Context) error, procs ...*Process) error {
	deadline := time.Now().Add(timeout)
	for {
		cctx, cancel := context.WithTimeout(ctx, 2*time.Second)
		err := ready(cctx)
		cancel()
		if err == nil {
			return nil
		}
		for _, p := range procs {
			if p.Exited() {
				return fmt.Errorf("%w: %s, while waiting for %s (%v)\n%s", ErrExited, p.name, what, p.Err(), p.Tail(30))
			}
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			var tails string
			for _, p := range procs {
				tails += p.Tail(30)
			}
			return fmt.Errorf("%w: %s after %s: %w\n%s", ErrNotReady, what, timeout, err, tails)
		}
		select {
		case <-ctx.Done():
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// HTTPReady succeeds when url answers 200.
func HTTPReady(url string) func(context.Context) error {
	return func(ctx context.Context) error {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		if err != nil {
			return err
		}
		// An idle keep-alive connection would hold up a server's shutdown.
		req.Close = true
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return err
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return fmt.Errorf("%s answered %s", url, resp.Status)
		}
		return nil
	}
}
