package bench

import (
	"slices"
	"time"
)

// key names one (target, load point) cell.
type key struct {
	target string
	point  point
}

// accum collects a cell's runs across rounds.
type accum struct {
	ok       []time.Duration
	byOp     [numOps][]time.Duration
	errs     int
	elapsed  time.Duration
	firstErr string
}

func (r result) count() (ok, errs int) {
	for _, s := range r.samples {
		if s.err != nil {
			errs++
		} else {
			ok++
		}
	}
	return ok, errs
}

func (a *accum) add(r result) {
	a.elapsed += r.elapsed
	for _, s := range r.samples {
		if s.err != nil {
			a.errs++
			if a.firstErr == "" {
				a.firstErr = s.err.Error()
			}
			continue
		}
		a.ok = append(a.ok, s.latency)
		a.byOp[s.op] = append(a.byOp[s.op], s.latency)
	}
}

// quantile returns the q-quantile (0..1) of sorted by the nearest-rank
// method; 0 when empty.
func quantile(sorted []time.Duration, q float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	i := int(q*float64(len(sorted))+0.999999) - 1
	return sorted[min(max(i, 0), len(sorted)-1)]
}

// ms converts a duration to milliseconds.
func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// latencies summarises sorted latencies.
func latencies(d []time.Duration) Latency {
	slices.Sort(d)
	return Latency{P50: ms(quantile(d, 0.50)), P99: ms(quantile(d, 0.99)), P999: ms(quantile(d, 0.999)), Max: ms(quantile(d, 1))}
}
