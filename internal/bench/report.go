package bench

import (
	"bufio"
	"bytes"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"time"
)

// Report is what one invocation measured. It is written as report.json;
// report.md and latency.png are drawn from it.
type Report struct {
	Started  time.Time `json:"started"`
	Finished time.Time `json:"finished"`
	Machine  Machine   `json:"machine"`
	Settings Settings  `json:"settings"`
	Upstream struct {
		Calls int64 `json:"calls"` // answered by the canned upstream in all
	} `json:"upstream"`
	Cells []Cell `json:"cells"`
}

// Machine says where the numbers came from.
type Machine struct {
	CPUs         int     `json:"cpus"`
	CPUModel     string  `json:"cpu_model"`
	MemoryMiB    int     `json:"memory_mib"`
	GoVersion    string  `json:"go_version"`
	OS           string  `json:"os"`
	Commit       string  `json:"commit"`
	LoadAvgStart float64 `json:"loadavg_start"` // 1-minute load average
	LoadAvgEnd   float64 `json:"loadavg_end"`
}

// Settings are the load settings of the run.
type Settings struct {
	Targets      []string `json:"targets"`
	Concurrency  []int    `json:"concurrency"`
	Rate         float64  `json:"rate"`
	RateInFlight int      `json:"rate_in_flight"`
	RunSeconds   float64  `json:"run_seconds"`
	MaxRequests  int64    `json:"max_requests"`
	Rounds       int      `json:"rounds"`
	PerAgent     int      `json:"clients_per_principal"`
	Ops          []string `json:"ops"`
	LogLevel     string   `json:"jitgate_log_level"`
}

// Latency is a latency distribution in milliseconds.
type Latency struct {
	P50  float64 `json:"p50_ms"`
	P99  float64 `json:"p99_ms"`
	P999 float64 `json:"p999_ms"`
	Max  float64 `json:"max_ms"`
}

// Cell is one target at one load point, over every round.
type Cell struct {
	Target      string  `json:"target"`
	Mode        string  `json:"mode"`
	Concurrency int     `json:"concurrency,omitempty"`
	Rate        float64 `json:"rate,omitempty"`
	Calls       int     `json:"calls"`  // successful
	Errors      int     `json:"errors"` // failed (retries are off)
	FirstError  string  `json:"first_error,omitempty"`
	Seconds     float64 `json:"seconds"`
	ReqPerSec   float64 `json:"req_per_s"`
	Latency
	// PerOp is the latency of each call kind.
	PerOp map[string]Latency `json:"per_op"`
	// ThroughputVsProxy is ReqPerSec over the proxy's at the same load
	// point (0 when the proxy did not run).
	ThroughputVsProxy float64 `json:"throughput_vs_proxy,omitempty"`
	// Added latency in ms over the upstream directly and over the proxy
	// at the same load point (nil when that target did not run).
	AddedOverUpstream *Added `json:"added_over_upstream,omitempty"`
	AddedOverProxy    *Added `json:"added_over_proxy,omitempty"`
	// CPU is what the target's own processes consumed per call (gateway
	// targets only).
	CPU *CPU `json:"cpu,omitempty"`
}

// Added is a latency difference in milliseconds.
type Added struct {
	P50 float64 `json:"p50_ms"`
	P99 float64 `json:"p99_ms"`
}

func newReport(cfg Config) *Report {
	r := &Report{Started: time.Now().UTC(), Machine: machine()}
	ops := make([]string, numOps)
	for i := range numOps {
		ops[i] = Op(i).String()
	}
	rate := cfg.Rate
	if rate < 0 {
		rate = 0
	}
	r.Settings = Settings{Targets: cfg.Targets, Concurrency: cfg.Concurrency, Rate: rate, RateInFlight: cfg.RateInFlight,
		RunSeconds: cfg.Duration.Seconds(), MaxRequests: cfg.MaxRequests, Rounds: cfg.Rounds, PerAgent: cfg.PerAgent, Ops: ops, LogLevel: cfg.LogLevel}
	return r
}

// fill turns the accumulated runs into cells, in target order then load
// order, with the ratios to the upstream and the proxy.
func (r *Report) fill(cfg Config, points []point, acc map[key]*accum, use map[key]*usageAccum) {
	for _, pt := range points {
		cells := map[string]*Cell{}
		for _, name := range cfg.Targets {
			a := acc[key{target: name, point: pt}]
			if a == nil {
				continue
			}
			c := &Cell{Target: name, Mode: pt.mode, Concurrency: pt.c, Rate: pt.rate, Calls: len(a.ok), Errors: a.errs,
				FirstError: a.firstErr, Seconds: a.elapsed.Seconds(), PerOp: map[string]Latency{}}
			if c.Seconds > 0 {
				c.ReqPerSec = float64(c.Calls) / c.Seconds
			}
			c.Latency = latencies(a.ok)
			c.CPU = use[key{target: name, point: pt}].cpu()
			for op := range numOps {
				if len(a.byOp[op]) > 0 {
					c.PerOp[Op(op).String()] = latencies(a.byOp[op])
				}
			}
			cells[name] = c
		}
		up, px := cells[TargetUpstream], cells[TargetProxy]
		for _, name := range cfg.Targets {
			c := cells[name]
			if c == nil {
				continue
			}
			if px != nil && px.ReqPerSec > 0 {
				c.ThroughputVsProxy = c.ReqPerSec / px.ReqPerSec
				c.AddedOverProxy = &Added{P50: c.P50 - px.P50, P99: c.P99 - px.P99}
			}
			if up != nil {
				c.AddedOverUpstream = &Added{P50: c.P50 - up.P50, P99: c.P99 - up.P99}
			}
			r.Cells = append(r.Cells, *c)
		}
	}
}

// machine describes the host.
func machine() Machine {
	m := Machine{CPUs: runtime.NumCPU(), GoVersion: runtime.Version(), OS: runtime.GOOS + "/" + runtime.GOARCH, LoadAvgStart: loadAvg()}
	if out, err := exec.Command("go", "version").Output(); err == nil {
		m.GoVersion = strings.TrimSpace(string(out))
	}
	if f, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		sc := bufio.NewScanner(bytes.NewReader(f))
		for sc.Scan() {
			if k, v, ok := strings.Cut(sc.Text(), ":"); ok && strings.TrimSpace(k) == "model name" {
				m.CPUModel = strings.TrimSpace(v)
				break
			}
		}
	}
	if f, err := os.ReadFile("/proc/meminfo"); err == nil {
		var kb int
		for _, line := range strings.Split(string(f), "\n") {
			if rest, ok := strings.CutPrefix(line, "MemTotal:"); ok {
				for _, fld := range strings.Fields(rest) {
					if n, err := strconv.Atoi(fld); err == nil {
						kb = n
						break
					}
				}
			}
		}
		m.MemoryMiB = kb / 1024
	}
	if out, err := exec.Command("git", "rev-parse", "--short=12", "HEAD").Output(); err == nil {
		m.Commit = strings.TrimSpace(string(out))
		if st, err := exec.Command("git", "status", "--porcelain", "--untracked-files=no").Output(); err == nil && len(bytes.TrimSpace(st)) > 0 {
			m.Commit += "-dirty"
		}
	}
	return m
}

// loadAvg returns the 1-minute load average, or 0 where unknown.
func loadAvg() float64 {
	f, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return 0
	}
	var v float64
	if fs := strings.Fields(string(f)); len(fs) > 0 {
		v, _ = strconv.ParseFloat(fs[0], 64)
	}
	return v
}
