package bench

import (
	"context"
	"sync"
	"sync/atomic"
	"time"
)

// sample is one finished call.
type sample struct {
	op      Op
	latency time.Duration
	err     error
}

// result is what one run of one target at one load point measured.
type result struct {
	samples []sample
	elapsed time.Duration
}

// pool hands out the clients of a run's agents: worker i uses agent
// i mod len(agents), so a run at concurrency c spreads its calls over
// ceil(c/perAgent) principals and stays below the ingress's per-principal
// in-flight limit.
type pool []clients

func (p pool) pick(i int) clients { return p[i%len(p)] }

// closedLoop runs c workers, each making one call after another, until d
// passes or max calls have started.
func closedLoop(ctx context.Context, p pool, c int, d time.Duration, max int64) result {
	ctx, cancel := context.WithTimeout(ctx, d)
	defer cancel()
	var (
		seq  atomic.Int64
		mu   sync.Mutex
		all  []sample
		wg   sync.WaitGroup
		t0   = time.Now()
		stop = t0.Add(d)
	)
	for w := range c {
		wg.Add(1)
		go func() {
			defer wg.Done()
			cl := p.pick(w)
			local := make([]sample, 0, 1024)
			for time.Now().Before(stop) {
				n := seq.Add(1)
				if n > max {
					break
				}
				op := Op(n % int64(numOps))
				start := time.Now()
				// The run's deadline does not cut a call short: each
				// call ends on its own, so none is counted as an error
				// for the harness's sake.
				err := cl.do(context.WithoutCancel(ctx), op, n)
				local = append(local, sample{op: op, latency: time.Since(start), err: err})
			}
			mu.Lock()
			all = append(all, local...)
			mu.Unlock()
		}()
	}
	wg.Wait()
	return result{samples: all, elapsed: time.Since(t0)}
}

// openLoop starts calls at a fixed rate (per second) until d passes or max
// calls have started, with at most inFlight at once. A call's latency runs
// from when it was due, not from when it started, so a target that falls
// behind shows its queueing instead of hiding it (coordinated omission).
func openLoop(ctx context.Context, p pool, rate float64, inFlight int, d time.Duration, max int64) result {
	var (
		mu   sync.Mutex
		all  []sample
		wg   sync.WaitGroup
		sem  = make(chan struct{}, inFlight)
		t0   = time.Now()
		step = time.Duration(float64(time.Second) / rate)
	)
	for n := int64(0); n < max; n++ {
		due := t0.Add(time.Duration(n) * step)
		if due.Sub(t0) >= d || ctx.Err() != nil {
			break
		}
		if wait := time.Until(due); wait > 0 {
			time.Sleep(wait)
		}
		sem <- struct{}{}
		wg.Add(1)
		go func() {
			defer func() { <-sem; wg.Done() }()
			op := Op(n % int64(numOps))
			err := p.pick(int(n)).do(context.WithoutCancel(ctx), op, n)
			s := sample{op: op, latency: time.Since(due), err: err}
			mu.Lock()
			all = append(all, s)
			mu.Unlock()
		}()
	}
	wg.Wait()
	return result{samples: all, elapsed: time.Since(t0)}
}
