package bench

import (
	"crypto/sha256"
	"os"
	"testing"
	"time"
)

// TestProcessCPU reads this test's own CPU time, burns some, and reads it
// again: the figure must grow by about what was burnt.
func TestProcessCPU(t *testing.T) {
	before, err := processCPU(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	buf := make([]byte, 1<<16)
	for time.Since(start) < 300*time.Millisecond {
		sum := sha256.Sum256(buf)
		buf[0] = sum[0]
	}
	after, err := processCPU(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	// At least a third of the wall time: the shared machine may take the
	// core away, never hand out more than it was.
	if d := after - before; d < 100*time.Millisecond || d > 2*time.Second {
		t.Fatalf("burnt 300ms of wall time on one goroutine, CPU grew by %v", d)
	}
	if _, err := processCPU(-1); err == nil {
		t.Fatal("read the CPU of pid -1")
	}
}

// TestUsageSummary checks how rounds of usage become a cell's CPU figures.
func TestUsageSummary(t *testing.T) {
	kinds := map[string]string{"dev": KindGateway, "ingress": KindGateway, "kafka": KindBroker}
	round := func(cpu map[string]time.Duration, reqs map[string]int64) usage {
		return usage{cpu: cpu, reqs: reqs}
	}
	for _, tc := range []struct {
		name      string
		rounds    []usage
		calls     []int
		gateway   float64
		broker    float64
		requests  float64
		processes map[string]float64
		none      bool
	}{
		{name: "no rounds", none: true},
		{name: "nothing read", rounds: []usage{round(map[string]time.Duration{}, nil)}, calls: []int{10}, none: true},
		{
			name: "one process, median of three rounds, requests pooled",
			rounds: []usage{
				round(map[string]time.Duration{"dev": time.Second}, map[string]int64{"dev": 4000}),
				round(map[string]time.Duration{"dev": 3 * time.Second}, map[string]int64{"dev": 6000}),
				round(map[string]time.Duration{"dev": 1200 * time.Millisecond}, map[string]int64{"dev": 2000}),
			},
			calls:   []int{1000, 1000, 1000},
			gateway: 1.2, requests: 4, processes: map[string]float64{"dev": 1.7333333333333334},
		},
		{
			name:    "the broker is counted apart from the gateway",
			rounds:  []usage{round(map[string]time.Duration{"ingress": 500 * time.Millisecond, "dev": 500 * time.Millisecond, "kafka": 1500 * time.Millisecond}, nil)},
			calls:   []int{1000},
			gateway: 1, broker: 1.5, processes: map[string]float64{"ingress": 0.5, "dev": 0.5, "kafka": 1.5},
		},
		{
			name:    "a round without calls is skipped",
			rounds:  []usage{round(map[string]time.Duration{"dev": time.Second}, nil), round(map[string]time.Duration{"dev": 2 * time.Second}, nil)},
			calls:   []int{0, 1000},
			gateway: 2, processes: map[string]float64{"dev": 2},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a := &usageAccum{kinds: kinds}
			for i, u := range tc.rounds {
				a.add(u, tc.calls[i])
			}
			c := a.cpu()
			if tc.none {
				if c != nil {
					t.Fatalf("got %+v, want no figure", c)
				}
				return
			}
			if c == nil {
				t.Fatal("no figure")
			}
			if !near(c.GatewayMs, tc.gateway) || !near(c.BrokerMs, tc.broker) || !near(c.KafkaRequests, tc.requests) {
				t.Errorf("gateway %v broker %v requests %v, want %v %v %v", c.GatewayMs, c.BrokerMs, c.KafkaRequests, tc.gateway, tc.broker, tc.requests)
			}
			for n, want := range tc.processes {
				if !near(c.Processes[n], want) {
					t.Errorf("process %s: %v ms/call, want %v", n, c.Processes[n], want)
				}
			}
		})
	}
}

func near(a, b float64) bool { return a-b < 1e-9 && b-a < 1e-9 }

// TestUsageSince subtracts snapshots per process and leaves out a process
// only one of them read.
func TestUsageSince(t *testing.T) {
	before := usage{cpu: map[string]time.Duration{"a": time.Second, "b": time.Second}, reqs: map[string]int64{"a": 10},
		kinds: map[string]int64{"a Fetch": 6, "a Produce": 4}}
	after := usage{cpu: map[string]time.Duration{"a": 3 * time.Second, "c": time.Second}, reqs: map[string]int64{"a": 25, "c": 5},
		kinds: map[string]int64{"a Fetch": 16, "a Produce": 4, "a EndTxn": 5, "c Fetch": 5}}
	d := after.since(before)
	if len(d.cpu) != 1 || d.cpu["a"] != 2*time.Second || len(d.reqs) != 1 || d.reqs["a"] != 15 {
		t.Fatalf("since: %+v", d)
	}
	if len(d.kinds) != 2 || d.kinds["a Fetch"] != 10 || d.kinds["a EndTxn"] != 5 {
		t.Fatalf("since, by kind: %+v", d.kinds)
	}
}
