package main

import (
	"errors"
	"fmt"
	"os"
	"runtime/debug"

	"github.com/urfave/cli/v2"
)

// DefaultRoleGCPercent is the Go GC target of a role process (--gc-percent).
// Go's default, 100, collects whenever the heap doubles; a role's live heap
// is a few MiB, so under load it collected several times per batch and the
// ingress spent 15-18 % of its CPU in the collector (pprof, 32 clients on
// real Kafka). At 400 that fell to 4-7 % (the executor's from 9.5 % to
// about 1 %), for a heap that peaks at five times the live one.
const DefaultRoleGCPercent = 400

// gcFlags are --gc-percent and --memory-limit, the Go collector's settings
// for a role process.
func gcFlags() []cli.Flag {
	return []cli.Flag{
		&cli.IntFlag{Name: "gc-percent", Value: DefaultRoleGCPercent,
			Usage:   "Go GC target (as GOGC): collect when the heap grew this many percent over the live heap; ignored when GOGC is set",
			EnvVars: []string{"JITGATE_GC_PERCENT"}},
		&cli.Int64Flag{Name: "memory-limit",
			Usage:   "soft limit of the Go runtime's memory in bytes (as GOMEMLIMIT): the collector runs harder near it, so --gc-percent cannot grow the heap past it; 0 none; ignored when GOMEMLIMIT is set",
			EnvVars: []string{"JITGATE_MEMORY_LIMIT"}},
	}
}

// applyGC sets the collector from --gc-percent and --memory-limit. The Go
// runtime's own GOGC and GOMEMLIMIT, when set, win: they are what an
// operator who tunes Go processes reaches for first.
func applyGC(c *cli.Context) error {
	if os.Getenv("GOGC") == "" {
		p := c.Int("gc-percent")
		if p == 0 || p < -1 {
			return fmt.Errorf("--gc-percent %d: %w", p, errBadGCPercent)
		}
		debug.SetGCPercent(p)
	}
	if os.Getenv("GOMEMLIMIT") == "" {
		l := c.Int64("memory-limit")
		if l < 0 {
			return fmt.Errorf("--memory-limit %d: %w", l, errBadMemoryLimit)
		}
		if l > 0 {
			debug.SetMemoryLimit(l)
		}
	}
	return nil
}

var (
	errBadGCPercent   = errors.New("use a positive percentage (Go's default is 100), or -1 to turn the collector off")
	errBadMemoryLimit = errors.New("use a size in bytes, or 0 for no limit")
)
