package bench

import (
	"context"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/jitgate/jitgate/internal/bench/canned"
)

// Mode names a kind of load point.
const (
	ModeConcurrency = "concurrency" // closed loop: N clients back to back
	ModeRate        = "rate"        // open loop: calls due at a fixed rate
)

// point is one load point.
type point struct {
	mode string
	c    int
	rate float64
}

func (p point) String() string {
	if p.mode == ModeRate {
		return fmt.Sprintf("rate=%g/s", p.rate)
	}
	return fmt.Sprintf("c=%d", p.c)
}

// agents is how many principals the point's clients use.
func (p point) agents(cfg Config) int {
	n := p.c
	if p.mode == ModeRate {
		n = cfg.RateInFlight
	}
	return max(1, (n+cfg.PerAgent-1)/cfg.PerAgent)
}

// Run starts the canned upstream and every configured target, measures
// each target at each load point for cfg.Rounds rounds, alternating
// targets within a round, stops everything it started, and returns the
// report.
func Run(ctx context.Context, cfg Config) (*Report, error) {
	cfg = cfg.Defaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	rep := newReport(cfg)
	dir := cfg.WorkDir
	if dir == "" {
		d, err := os.MkdirTemp("", "jitbench-")
		if err != nil {
			return nil, err
		}
		dir = d
	} else if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	up := canned.New()
	upURL, stopUp, err := serve(up)
	if err != nil {
		return nil, err
	}
	defer stopUp()

	var targets []*target
	defer func() {
		for i := len(targets) - 1; i >= 0; i-- {
			targets[i].close()
		}
	}()
	for _, name := range cfg.Targets {
		start := time.Now()
		t, err := startTarget(ctx, cfg, name, upURL, dir)
		if err != nil {
			return nil, fmt.Errorf("%s (logs in %s): %w", name, dir, err)
		}
		targets = append(targets, t)
		if err := warm(ctx, cfg, t); err != nil {
			return nil, fmt.Errorf("%s (logs in %s): %w", name, dir, err)
		}
		cfg.Log.Info("target ready", "target", name, "took", time.Since(start).Round(time.Millisecond))
	}

	points := make([]point, 0, len(cfg.Concurrency)+1)
	for _, c := range cfg.Concurrency {
		points = append(points, point{mode: ModeConcurrency, c: c})
	}
	if cfg.Rate > 0 {
		points = append(points, point{mode: ModeRate, rate: cfg.Rate})
	}
	acc := map[key]*accum{}
	use := map[key]*usageAccum{}
	for round := range cfg.Rounds {
		for pi, pt := range points {
			// Rotate the order each time so no target always runs
			// first (cold) or right after the heaviest one.
			shift := (round*len(points) + pi) % len(targets)
			for i := range targets {
				t := targets[(i+shift)%len(targets)]
				p, err := t.pool(ctx, pt.agents(cfg))
				if err != nil {
					return nil, err
				}
				before := snapshot(ctx, t.watch)
				var res result
				if pt.mode == ModeRate {
					res = openLoop(ctx, p, pt.rate, cfg.RateInFlight, cfg.Duration, cfg.MaxRequests)
				} else {
					res = closedLoop(ctx, p, pt.c, cfg.Duration, cfg.MaxRequests)
				}
				if err := ctx.Err(); err != nil {
					return nil, err
				}
				used := snapshot(ctx, t.watch).since(before)
				k := key{target: t.name, point: pt}
				if acc[k] == nil {
					acc[k] = &accum{}
				}
				acc[k].add(res)
				ok, errs := res.count()
				if len(t.watch) > 0 {
					if use[k] == nil {
						use[k] = &usageAccum{kinds: t.kinds()}
					}
					use[k].add(used, ok+errs)
				}
				cfg.Log.Info("run", "round", round+1, "target", t.name, "load", pt.String(),
					"calls", ok, "errors", errs, "req/s", fmt.Sprintf("%.0f", float64(ok)/res.elapsed.Seconds()))
			}
		}
	}
	rep.Upstream.Calls = up.Calls()
	rep.fill(cfg, points, acc, use)
	rep.Finished = time.Now().UTC()
	rep.Machine.LoadAvgEnd = loadAvg()
	if cfg.WorkDir == "" {
		os.RemoveAll(dir)
	}
	return rep, nil
}

// startTarget starts the named target in front of the upstream at upURL.
func startTarget(ctx context.Context, cfg Config, name, upURL, dir string) (*target, error) {
	bin := cfg.Jitgate
	if baseOf(name) != name {
		bin = cfg.Baseline
	}
	switch baseOf(name) {
	case TargetUpstream:
		return upstreamTarget(upURL), nil
	case TargetProxy:
		return proxyTarget(upURL)
	case TargetDev:
		return devTarget(ctx, cfg, name, bin, upURL, dir)
	case TargetRoles:
		return rolesTarget(ctx, cfg, name, bin, upURL, dir)
	}
	return nil, fmt.Errorf("%w: unknown target %q", ErrConfig, name)
}

// warm makes each call once until it succeeds (the gateway's consumers
// join their groups after the ingress is ready), then loads the target
// for cfg.Warmup and discards what it measured.
func warm(ctx context.Context, cfg Config, t *target) error {
	p, err := t.pool(ctx, 1)
	if err != nil {
		return err
	}
	deadline := time.Now().Add(cfg.StartTimeout)
	for op := range numOps {
		for {
			cctx, cancel := context.WithTimeout(ctx, cfg.Wait+5*time.Second)
			err := p[0].do(cctx, op, 0)
			cancel()
			if err == nil {
				break
			}
			if time.Now().After(deadline) || ctx.Err() != nil {
				return fmt.Errorf("%w: %s: %w", ErrWarmup, t.name, errors.Join(err, ctx.Err()))
			}
			time.Sleep(200 * time.Millisecond)
		}
	}
	closedLoop(ctx, p, 8, cfg.Warmup, cfg.MaxRequests)
	return nil
}
