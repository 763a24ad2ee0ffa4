package proc

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"syscall"
	"time"
)

// StopGrace is how long Stop lets a process exit after SIGTERM before it
// kills it.
const StopGrace = 15 * time.Second

// Process is one started child process.
type Process struct {
	name string
	cmd  *exec.Cmd
	logs []string      // the output file first, then files whose tails explain a failure
	done chan struct{} // closed once the process has exited and been reaped
	err  error         // its exit status; read only after done is closed
}

// Spec is what to run.
type Spec struct {
	// Name names the process in errors and logs.
	Name string
	// Path and Args are the program and its arguments (without argv[0]).
	Path string
	Args []string
	// Env is added to the harness's own environment (later entries win).
	Env []string
	// Log is the file that receives stdout and stderr (created or
	// truncated).
	Log string
	// MoreLogs are files the process writes itself whose tails Tail shows.
	MoreLogs []string
}

// Start runs spec. The process is started from a goroutine locked to its OS
// thread for the process's life, because Pdeathsig fires when the creating
// thread (not the whole harness) dies.
func Start(spec Spec) (*Process, error) {
	f, err := os.Create(spec.Log)
	if err != nil {
		return nil, fmt.Errorf("%w: %s: %w", ErrStart, spec.Name, err)
	}
	cmd := exec.Command(spec.Path, spec.Args...)
	cmd.Env = append(os.Environ(), spec.Env...)
	cmd.Stdout, cmd.Stderr, cmd.Stdin = f, f, nil
	setDeathSignal(cmd)
	p := &Process{name: spec.Name, cmd: cmd, logs: append([]string{spec.Log}, spec.MoreLogs...), done: make(chan struct{})}
	started := make(chan error, 1)
	go func() {
		lockThread()
		defer f.Close()
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
		return nil, fmt.Errorf("%w: %s: %w", ErrStart, spec.Name, err)
	}
	return p, nil
}

// Name is the process's name.
func (p *Process) Name() string { return p.name }

// PID is the process id.
func (p *Process) PID() int { return p.cmd.Process.Pid }

// Done is closed once the process has exited and been reaped.
func (p *Process) Done() <-chan struct{} { return p.done }

// Exited reports whether the process has ended.
func (p *Process) Exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// Err is the exit status (nil for a clean exit); meaningful once Exited.
func (p *Process) Err() error {
	select {
	case <-p.done:
		return p.err
	default:
		return nil
	}
}

// Stop sends SIGTERM, then SIGKILL after StopGrace, and waits for the
// process to be reaped. Stopping an ended process does nothing.
func (p *Process) Stop() {
	if p.Exited() {
		return
	}
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(StopGrace):
		_ = p.cmd.Process.Kill()
		<-p.done
	}
}

// Kill sends SIGKILL (kill -9: no clean-up, no leaving the group) and
// waits for the process to be reaped.
func (p *Process) Kill() {
	if p.Exited() {
		return
	}
	_ = p.cmd.Process.Kill()
	<-p.done
}

// Signal sends sig (SIGSTOP and SIGCONT freeze and thaw it).
func (p *Process) Signal(sig os.Signal) error { return p.cmd.Process.Signal(sig) }

// Tail returns the last n lines of each of the process's log files, each
// under a heading, for failure messages.
func (p *Process) Tail(n int) string {
	var b bytes.Buffer
	for _, path := range p.logs {
		data, err := os.ReadFile(path)
		if err != nil {
			continue
		}
		fmt.Fprintf(&b, "--- %s: %s (last lines)\n%s\n", p.name, path, lastLines(data, n))
	}
	return b.String()
}

// Log is the file holding the process's output.
func (p *Process) Log() string { return p.logs[0] }

// lastLines returns the last n lines of data.
func lastLines(data []byte, n int) []byte {
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
