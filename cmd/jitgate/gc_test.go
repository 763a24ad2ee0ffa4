package main

import (
	"errors"
	"flag"
	"math"
	"runtime/debug"
	"testing"

	"github.com/urfave/cli/v2"
)

// TestApplyGC checks that --gc-percent and --memory-limit reach the Go
// runtime, that nonsense is refused, and that GOGC and GOMEMLIMIT win.
func TestApplyGC(t *testing.T) {
	tests := []struct {
		name      string
		args      []string
		env       map[string]string
		wantPct   int
		wantLimit int64
		wantErr   error
	}{
		{name: "defaults", wantPct: DefaultRoleGCPercent, wantLimit: math.MaxInt64},
		{name: "set", args: []string{"--gc-percent", "250", "--memory-limit", "201326592"}, wantPct: 250, wantLimit: 192 << 20},
		{name: "off", args: []string{"--gc-percent", "-1"}, wantPct: -1, wantLimit: math.MaxInt64},
		{name: "GOGC wins", args: []string{"--gc-percent", "250"}, env: map[string]string{"GOGC": "100"}, wantPct: 100, wantLimit: math.MaxInt64},
		{name: "GOMEMLIMIT wins", args: []string{"--memory-limit", "1000"}, env: map[string]string{"GOMEMLIMIT": "off"}, wantPct: DefaultRoleGCPercent, wantLimit: math.MaxInt64},
		{name: "zero percent", args: []string{"--gc-percent", "0"}, wantErr: errBadGCPercent},
		{name: "negative limit", args: []string{"--memory-limit", "-5"}, wantErr: errBadMemoryLimit},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Setenv("GOGC", "")
			t.Setenv("GOMEMLIMIT", "")
			for k, v := range tc.env {
				t.Setenv(k, v)
			}
			// The runtime's settings are process-wide: start from Go's
			// defaults and restore them.
			debug.SetGCPercent(100)
			debug.SetMemoryLimit(math.MaxInt64)
			t.Cleanup(func() { debug.SetGCPercent(100); debug.SetMemoryLimit(math.MaxInt64) })
			fs := flag.NewFlagSet(tc.name, flag.ContinueOnError)
			for _, f := range gcFlags() {
				if err := f.Apply(fs); err != nil {
					t.Fatal(err)
				}
			}
			if err := fs.Parse(tc.args); err != nil {
				t.Fatal(err)
			}
			err := applyGC(cli.NewContext(cli.NewApp(), fs, nil))
			if !errors.Is(err, tc.wantErr) {
				t.Fatalf("applyGC: %v, want %v", err, tc.wantErr)
			}
			if tc.wantErr != nil {
				return
			}
			if got := debug.SetGCPercent(100); got != tc.wantPct {
				t.Errorf("GC percent %d, want %d", got, tc.wantPct)
			}
			if got := debug.SetMemoryLimit(-1); got != tc.wantLimit {
				t.Errorf("memory limit %d, want %d", got, tc.wantLimit)
			}
		})
	}
}
