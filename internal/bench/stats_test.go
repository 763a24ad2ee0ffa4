package bench

import (
	"errors"
	"testing"
	"time"
)

func TestQuantile(t *testing.T) {
	hundred := make([]time.Duration, 100)
	for i := range hundred {
		hundred[i] = time.Duration(i+1) * time.Millisecond
	}
	tests := []struct {
		name   string
		sorted []time.Duration
		q      float64
		want   time.Duration
	}{
		{"empty", nil, 0.5, 0},
		{"one", []time.Duration{7}, 0.999, 7},
		{"median of 100", hundred, 0.50, 50 * time.Millisecond},
		{"p99 of 100", hundred, 0.99, 99 * time.Millisecond},
		{"p999 of 100 is the maximum", hundred, 0.999, 100 * time.Millisecond},
		{"max", hundred, 1, 100 * time.Millisecond},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := quantile(tc.sorted, tc.q); got != tc.want {
				t.Fatalf("quantile(%v) = %v, want %v", tc.q, got, tc.want)
			}
		})
	}
}

func TestConfigValidate(t *testing.T) {
	tests := []struct {
		name string
		cfg  Config
		ok   bool
	}{
		{"defaults without gateways", Config{Targets: []string{TargetUpstream, TargetProxy}}, true},
		{"unknown target", Config{Targets: []string{"nginx"}}, false},
		{"dev without a binary", Config{Targets: []string{TargetDev}, RepoRoot: "."}, false},
		{"roles without the repository", Config{Targets: []string{TargetRoles}, Jitgate: "jitgate"}, false},
		{"zero clients", Config{Targets: []string{TargetUpstream}, Concurrency: []int{0}}, false},
		{"quick with a binary", func() Config { c := Quick(); c.Jitgate, c.RepoRoot = "jitgate", "."; return c }(), true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.cfg.Defaults().Validate()
			if tc.ok != (err == nil) {
				t.Fatalf("Validate() = %v, want ok=%v", err, tc.ok)
			}
			if err != nil && !errors.Is(err, ErrConfig) {
				t.Fatalf("error %v is not ErrConfig", err)
			}
		})
	}
}

// TestFillRatios checks the ratios and differences against the proxy and
// the upstream at the same load point.
func TestFillRatios(t *testing.T) {
	ms := func(v ...int) result {
		var r result
		for _, x := range v {
			r.samples = append(r.samples, sample{latency: time.Duration(x) * time.Millisecond})
		}
		r.elapsed = time.Second
		return r
	}
	pt := point{mode: ModeConcurrency, c: 1}
	acc := map[key]*accum{}
	for name, r := range map[string]result{TargetUpstream: ms(1, 1, 1, 1), TargetProxy: ms(2, 2), TargetDev: ms(5)} {
		acc[key{name, pt}] = &accum{}
		acc[key{name, pt}].add(r)
	}
	rep := &Report{}
	rep.fill(Config{Targets: []string{TargetUpstream, TargetProxy, TargetDev}}, []point{pt}, acc, nil)
	if len(rep.Cells) != 3 {
		t.Fatalf("%d cells", len(rep.Cells))
	}
	dev := rep.Cells[2]
	if dev.Target != TargetDev || dev.ThroughputVsProxy != 0.5 || dev.AddedOverProxy.P50 != 3 || dev.AddedOverUpstream.P50 != 4 {
		t.Fatalf("dev cell %+v, over proxy %+v, over upstream %+v", dev, dev.AddedOverProxy, dev.AddedOverUpstream)
	}
}
