package bench

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"time"
)

// stopGrace is how long a child gets to exit after SIGTERM before it is
// killed.
const stopGrace = 15 * time.Second

// child is a process the harness started: a jitgate role or the Kafka
// broker. It is stopped by its own PID, and on Linux the kernel kills it if
// the harness dies first (Pdeathsig), so an interrupted run leaves nothing
// behind.
type child struct {
	name string
	cmd  *exec.Cmd
	log  string
	done chan struct{}
	err  error
}

// startChild runs name's command with its output in dir/name.log.
func startChild(name, dir string, env []string, bin string, args ...string) (*child, error) {
	logPath := filepath.Join(dir, name+".log")
	f, err := os.Create(logPath)
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(bin, args...)
	cmd.Env = append(os.Environ(), env...)
	cmd.Stdout, cmd.Stderr = f, f
	cmd.SysProcAttr = deathSignal()
	c := &child{name: name, cmd: cmd, log: logPath, done: make(chan struct{})}
	started := make(chan error, 1)
	// Pdeathsig fires when the creating thread exits, so the process is
	// started from a goroutine locked to its thread until the child ends.
	go func() {
		lockThread()
		defer f.Close()
		if err := cmd.Start(); err != nil {
			started <- err
			close(c.done)
			return
		}
		started <- nil
		c.err = cmd.Wait()
		close(c.done)
	}()
	if err := <-started; err != nil {
		return nil, fmt.Errorf("%w: %s: %w", ErrStart, name, err)
	}
	return c, nil
}

// stop sends SIGTERM, then SIGKILL after stopGrace, and waits.
func (c *child) stop() {
	select {
	case <-c.done:
		return
	default:
	}
	_ = c.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-c.done:
	case <-time.After(stopGrace):
		_ = c.cmd.Process.Kill()
		<-c.done
	}
}

// exited reports whether the child has ended.
func (c *child) exited() bool {
	select {
	case <-c.done:
		return true
	default:
		return false
	}
}

// tail returns the last lines of the child's log, for error messages.
func (c *child) tail() string {
	data, err := os.ReadFile(c.log)
	if err != nil {
		return ""
	}
	data = bytes.TrimRight(data, "\n")
	n := 30
	for i := len(data) - 1; i >= 0; i-- {
		if data[i] == '\n' {
			if n--; n == 0 {
				data = data[i+1:]
				break
			}
		}
	}
	return fmt.Sprintf("--- %s (%s, last lines)\n%s", c.name, c.log, data)
}

// waitFor polls ready every 100 ms until it succeeds, a child exits, or
// timeout passes.
func waitFor(ctx context.Context, what string, timeout time.Duration, ready func(context.Context) error, children ...*child) error {
	deadline := time.Now().Add(timeout)
	for {
		cctx, cancel := context.WithTimeout(ctx, 2*time.Second)
		err := ready(cctx)
		cancel()
		if err == nil {
			return nil
		}
		for _, c := range children {
			if c.exited() {
				return fmt.Errorf("%w: %s exited while waiting for %s (%v)\n%s", ErrStart, c.name, what, c.err, c.tail())
			}
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			var tails string
			for _, c := range children {
				tails += c.tail() + "\n"
			}
			return fmt.Errorf("%w: %s not ready after %s: %w\n%s", ErrStart, what, timeout, err, tails)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// httpReady succeeds when url answers 200.
func httpReady(url string) func(context.Context) error {
	return func(ctx context.Context) error {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		if err != nil {
			return err
		}
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
