package proc

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

func TestLastLines(t *testing.T) {
	tests := []struct {
		name string
		in   string
		n    int
		want string
	}{
		{name: "fewer lines than n", in: "a\nb\n", n: 5, want: "a\nb"},
		{name: "exactly n", in: "a\nb\nc", n: 3, want: "a\nb\nc"},
		{name: "more lines than n", in: "a\nb\nc\nd\n", n: 2, want: "c\nd"},
		{name: "empty", in: "", n: 2, want: ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := string(lastLines([]byte(tt.in), tt.n)); got != tt.want {
				t.Errorf("lastLines(%q, %d) = %q, want %q", tt.in, tt.n, got, tt.want)
			}
		})
	}
}

// TestStopAndKill checks how each way of ending a process ends it: Stop
// lets a process that handles SIGTERM exit by itself, Kill ends one that
// ignores it at once, and a process that exits by itself is seen to.
func TestStopAndKill(t *testing.T) {
	tests := []struct {
		name     string
		script   string
		end      func(*Process)
		wantSig  syscall.Signal // 0: a clean exit
		wantLine string
	}{
		{name: "stop: SIGTERM handled", script: `trap 'echo bye; exit 0' TERM; echo up; while :; do sleep 0.05; done`,
			end: (*Process).Stop, wantLine: "bye"},
		{name: "kill: SIGTERM ignored", script: `trap '' TERM; echo up; while :; do sleep 0.05; done`,
			end: (*Process).Kill, wantSig: syscall.SIGKILL, wantLine: "up"},
		{name: "exits by itself", script: `echo up`, end: func(p *Process) { <-p.Done() }, wantLine: "up"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := Start(Spec{Name: "sh", Path: "sh", Args: []string{"-c", tt.script}, Log: filepath.Join(t.TempDir(), "sh.log")})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(p.Kill)
			// Wait until the shell has set its trap and said so.
			if err := WaitFor(context.Background(), "up", 10*time.Second, func(context.Context) error {
				if strings.Contains(p.Tail(5), "up") {
					return nil
				}
				return errors.New("not up yet")
			}); err != nil {
				t.Fatal(err)
			}
			start := time.Now()
			tt.end(p)
			if !p.Exited() {
				t.Fatal("the process has not exited")
			}
			if took := time.Since(start); took > 5*time.Second {
				t.Errorf("ending took %s", took)
			}
			var sig syscall.Signal
			if ws, ok := p.cmd.ProcessState.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
				sig = ws.Signal()
			}
			if sig != tt.wantSig {
				t.Errorf("ended by signal %v, want %v (err %v)", sig, tt.wantSig, p.Err())
			}
			if !strings.Contains(p.Tail(5), tt.wantLine) {
				t.Errorf("log %q lacks %q", p.Tail(5), tt.wantLine)
			}
		})
	}
}

// TestWaitForSeesAnExit checks that WaitFor gives up as soon as a process
// it waits on has ended, with ErrExited and its log.
func TestWaitForSeesAnExit(t *testing.T) {
	p, err := Start(Spec{Name: "false", Path: "sh", Args: []string{"-c", "echo broken; exit 3"}, Log: filepath.Join(t.TempDir(), "x.log")})
	if err != nil {
		t.Fatal(err)
	}
	<-p.Done()
	err = WaitFor(context.Background(), "never", time.Minute, func(context.Context) error { return errors.New("no") }, p)
	if !errors.Is(err, ErrExited) || !strings.Contains(err.Error(), "broken") {
		t.Errorf("WaitFor = %v, want ErrExited with the log's tail", err)
	}
	if _, err := Start(Spec{Name: "missing", Path: "/nonexistent/bin", Log: filepath.Join(t.TempDir(), "m.log")}); !errors.Is(err, ErrStart) {
		t.Errorf("Start of a missing program = %v, want ErrStart", err)
	}
}
