package testenv

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"syscall"
	"testing"
	"time"
)

// stopGrace is how long a stopped server gets to exit after SIGTERM before
// it is killed.
const stopGrace = 15 * time.Second

// process is a server started by a test.
type process struct {
	name string
	cmd  *exec.Cmd
	logs []string      // files whose tails explain a failure
	done chan struct{} // closed when the process has exited and been reaped
	err  error         // the exit status; read only after done is closed
}

// startProcess starts cmd with its output in logPath, and stops it at the
// test's cleanup: SIGTERM, then SIGKILL after stopGrace. The process is
// started from a goroutine locked to its OS thread that lives until the
// process exits, because Pdeathsig fires when the creating thread (not the
// process) dies.
func startProcess(t testing.TB, name string, cmd *exec.Cmd, logPath string, moreLogs ...string) *process {
	t.Helper()
	logFile, err := os.Create(logPath)
	if err != nil {
		t.Fatalf("testenv: %s: %v", name, err)
	}
	cmd.Stdout = logFile
	cmd.Stderr = logFile
	cmd.Stdin = nil
	setDeathSignal(cmd)
	p := &process{name: name, cmd: cmd, logs: append([]string{logPath}, moreLogs...), done: make(chan struct{})}
	started := make(chan error, 1)
	go func() {
		runtime.LockOSThread()
		defer runtime.UnlockOSThread()
		defer logFile.Close()
		if err := cmd.Start(); err != nil {
			started <- err
			close(p.done)
			return
		}
		started <- nil
		p.err = cmd.Wait()
		close(p.done)
	}()
	if err := <-started; err != nil {
		t.Fatalf("testenv: start %s: %v", name, err)
	}
	t.Cleanup(p.stop)
	return p
}

// stop ends the process and waits for it.
func (p *process) stop() {
	select {
	case <-p.done:
		return
	default:
	}
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(stopGrace):
		_ = p.cmd.Process.Kill()
		<-p.done
	}
}

// waitReady calls ready every 100 ms until it returns nil, the process exits,
// or timeout passes; the last two fail the test with the logs' tails.
func (p *process) waitReady(t testing.TB, timeout time.Duration, ready func(context.Context) error) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	var last error
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		last = ready(ctx)
		cancel()
		if last == nil {
			return
		}
		select {
		case <-p.done:
			t.Fatalf("testenv: %s exited during start-up (%v)\n%s", p.name, p.err, p.tails())
		case <-time.After(100 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			p.stop()
			t.Fatalf("testenv: %s not ready after %s: %v\n%s", p.name, timeout, last, p.tails())
		}
	}
}

// tails returns the last lines of each log file.
func (p *process) tails() string {
	var b bytes.Buffer
	for _, path := range p.logs {
		data, err := os.ReadFile(path)
		if err != nil {
			continue
		}
		fmt.Fprintf(&b, "--- %s (last lines)\n%s\n", path, tail(data, 30))
	}
	return b.String()
}

// tail returns the last n lines of data.
func tail(data []byte, n int) []byte {
	data = bytes.TrimRight(data, "\n")
	for i := len(data) - 1; i >= 0; i-- {
		if data[i] == '\n' {
			n--
			if n == 0 {
				return data[i+1:]
			}
		}
	}
	return data
}
