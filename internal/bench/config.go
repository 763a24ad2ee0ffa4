package bench

import (
	"fmt"
	"log/slog"
	"slices"
	"time"
)

// Config is one invocation of the harness. The zero value of a field takes
// the default named in its comment (Defaults fills them).
type Config struct {
	// Targets to measure, from AllTargets (default: all four). The
	// canned upstream runs whenever any target does: every target calls it.
	Targets []string
	// Concurrency lists the closed-loop load points: that many clients,
	// each calling again as soon as its call returns (default 1, 8, 32,
	// 128).
	Concurrency []int
	// Rate is the fixed-rate (open-loop) load point in calls per second;
	// negative turns it off (default 200).
	Rate float64
	// RateInFlight caps the calls in flight at the fixed rate; a target
	// that falls behind queues, and its latency shows it (default 256).
	RateInFlight int
	// Duration bounds one run: one target at one load point in one round
	// (default 5s).
	Duration time.Duration
	// MaxRequests bounds the calls started in one run (default 100000).
	MaxRequests int64
	// Rounds is how often every (target, load point) runs; runs of the
	// targets alternate within a round, in a rotating order, so machine
	// noise hits all alike (default 2).
	Rounds int
	// Warmup is the load each target gets, discarded, before the first
	// round (default 2s).
	Warmup time.Duration
	// PerAgent is how many clients share one principal (default 32, half
	// the ingress's default per-principal in-flight limit).
	PerAgent int

	// Jitgate is the jitgate binary run for the dev and roles targets.
	Jitgate string
	// Baseline is an optional second jitgate binary (an older commit):
	// when set, each of dev and roles in Targets is joined by dev-base or
	// roles-base running it, so a change is measured before and after,
	// alternating, in one invocation.
	Baseline string
	// RepoRoot is the repository root: policies/dev.yaml and
	// scripts/kafka.sh are read from it.
	RepoRoot string
	// Kafka is an existing broker (host:port) for the roles target; empty
	// starts one with scripts/kafka.sh.
	Kafka string
	// WorkDir holds the children's logs and data (default: a temporary
	// directory, removed after a successful run).
	WorkDir string
	// LogLevel is the jitgate processes' --log-level (default "warn": a
	// line per call would measure the logger).
	LogLevel string
	// Wait is the ingress's --wait (default 30s).
	Wait time.Duration
	// StartTimeout bounds each target's start (default 90s; Kafka gets
	// three times as long).
	StartTimeout time.Duration
	// Log receives progress (default: discard).
	Log *slog.Logger
}

// Quick returns a short, bounded configuration CI can afford: the
// upstream, the floor and jitgate dev, at 1 and 8 clients and 50 calls/s,
// one round of one second each.
func Quick() Config {
	return Config{
		Targets: []string{TargetUpstream, TargetProxy, TargetDev}, Concurrency: []int{1, 8},
		Rate: 50, Duration: time.Second, Rounds: 1, Warmup: 500 * time.Millisecond, MaxRequests: 5000,
	}
}

// Defaults returns cfg with every zero field set to its default.
func (cfg Config) Defaults() Config {
	if len(cfg.Targets) == 0 {
		cfg.Targets = slices.Clone(AllTargets)
	}
	if cfg.Baseline != "" {
		var ts []string
		for _, t := range cfg.Targets {
			ts = append(ts, t)
			if (t == TargetDev || t == TargetRoles) && !slices.Contains(cfg.Targets, t+BaseSuffix) {
				ts = append(ts, t+BaseSuffix)
			}
		}
		cfg.Targets = ts
	}
	if len(cfg.Concurrency) == 0 {
		cfg.Concurrency = []int{1, 8, 32, 128}
	}
	if cfg.Rate == 0 {
		cfg.Rate = 200
	}
	if cfg.RateInFlight == 0 {
		cfg.RateInFlight = 256
	}
	if cfg.Duration == 0 {
		cfg.Duration = 5 * time.Second
	}
	if cfg.MaxRequests == 0 {
		cfg.MaxRequests = 100000
	}
	if cfg.Rounds == 0 {
		cfg.Rounds = 2
	}
	if cfg.Warmup == 0 {
		cfg.Warmup = 2 * time.Second
	}
	if cfg.PerAgent == 0 {
		cfg.PerAgent = 32
	}
	if cfg.LogLevel == "" {
		cfg.LogLevel = "warn"
	}
	if cfg.Wait == 0 {
		cfg.Wait = 30 * time.Second
	}
	if cfg.StartTimeout == 0 {
		cfg.StartTimeout = 90 * time.Second
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	return cfg
}

// Validate reports the first invalid field.
func (cfg Config) Validate() error {
	for _, name := range cfg.Targets {
		t := baseOf(name)
		if !slices.Contains(AllTargets, t) || (t != name && t != TargetDev && t != TargetRoles) {
			return fmt.Errorf("%w: unknown target %q (known: %v, and dev%s, roles%s with a baseline binary)", ErrConfig, name, AllTargets, BaseSuffix, BaseSuffix)
		}
		if t != name && cfg.Baseline == "" {
			return fmt.Errorf("%w: target %s needs a baseline jitgate binary (-baseline)", ErrConfig, name)
		}
		if (t == TargetDev || t == TargetRoles) && cfg.Jitgate == "" {
			return fmt.Errorf("%w: target %s needs the jitgate binary (build it with `make build`, pass -jitgate bin/jitgate)", ErrConfig, t)
		}
		if (t == TargetDev || t == TargetRoles) && cfg.RepoRoot == "" {
			return fmt.Errorf("%w: target %s needs the repository root (policies/dev.yaml, scripts/kafka.sh)", ErrConfig, t)
		}
	}
	for _, c := range cfg.Concurrency {
		if c < 1 {
			return fmt.Errorf("%w: concurrency %d is below 1", ErrConfig, c)
		}
	}
	switch {
	case cfg.RateInFlight < 1:
		return fmt.Errorf("%w: RateInFlight %d is below 1", ErrConfig, cfg.RateInFlight)
	case cfg.Duration <= 0, cfg.MaxRequests < 1, cfg.Rounds < 1, cfg.PerAgent < 1:
		return fmt.Errorf("%w: Duration, MaxRequests, Rounds and PerAgent must be positive", ErrConfig)
	}
	return nil
}
