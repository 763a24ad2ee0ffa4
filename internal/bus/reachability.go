package bus

import (
	"context"
	"log/slog"
	"sync/atomic"
	"time"
)

// Reachability watches whether any broker answers, so that a caller can
// refuse at once while none does instead of waiting out a deadline for a
// publish that cannot succeed. A publish handed to the client cannot be
// taken back (it may still land after its caller gave up), so refusing
// before publishing is the only prompt answer that is also true.
type Reachability struct {
	down atomic.Bool
}

// Reachability settings: a ping every reachInterval; the brokers count as
// unreachable after reachFailures pings in a row fail (one slow answer
// from a loaded broker is not an outage), and as reachable again after one
// succeeds.
const (
	reachInterval = 500 * time.Millisecond
	reachTimeout  = 2 * time.Second
	reachFailures = 2
)

// WatchReachability pings the brokers in the background until ctx ends.
// The brokers count as reachable until pings say otherwise.
func (p *Publisher) WatchReachability(ctx context.Context, log *slog.Logger) *Reachability {
	r := &Reachability{}
	go r.watch(ctx, func(ctx context.Context) error {
		ctx, cancel := context.WithTimeout(ctx, reachTimeout)
		defer cancel()
		return p.cl.Ping(ctx)
	}, reachInterval, log)
	return r
}

// Reachable reports whether the last pings found a broker answering. A nil
// Reachability (no watch) is always reachable.
func (r *Reachability) Reachable() bool { return r == nil || !r.down.Load() }

func (r *Reachability) watch(ctx context.Context, ping func(context.Context) error, every time.Duration, log *slog.Logger) {
	t := time.NewTicker(every)
	defer t.Stop()
	failures := 0
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		err := ping(ctx)
		if ctx.Err() != nil {
			return
		}
		switch {
		case err == nil:
			failures = 0
			if r.down.Swap(false) {
				log.Info("bus: brokers reachable again; accepting calls")
			}
		case failures+1 < reachFailures:
			failures++
		default:
			if !r.down.Swap(true) {
				log.Error("bus: no broker answers; refusing calls with ServiceUnavailable until one does: check the brokers and --kafka", "err", err)
			}
		}
	}
}
