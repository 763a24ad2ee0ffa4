package bench

import (
	"context"
	"fmt"
	"path/filepath"
	"time"

	"github.com/jitgate/jitgate/internal/proc"
)

// startChild runs a process the harness needs (jitgate dev or the Kafka
// broker) with its output in dir/name.log, through internal/proc: stopped
// by its own PID, and killed by the kernel if the harness dies first.
func startChild(name, dir string, env []string, bin string, args ...string) (*proc.Process, error) {
	p, err := proc.Start(proc.Spec{Name: name, Path: bin, Args: args, Env: env, Log: filepath.Join(dir, name+".log")})
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrStart, err)
	}
	return p, nil
}

// waitFor is proc.WaitFor with the harness's ErrStart.
func waitFor(ctx context.Context, what string, timeout time.Duration, ready func(context.Context) error, procs ...*proc.Process) error {
	if err := proc.WaitFor(ctx, what, timeout, ready, procs...); err != nil {
		return fmt.Errorf("%w: %w", ErrStart, err)
	}
	return nil
}
