package bench

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Process kinds in a cell's CPU figures.
const (
	KindGateway = "gateway" // a jitgate process (dev: everything, embedded broker included)
	KindBroker  = "broker"  // the Kafka broker's JVM (roles target)
)

// clockTick is the unit of utime and stime in /proc/PID/stat: USER_HZ,
// which Linux fixes at 100 for user space on every architecture Go runs
// on.
const clockTick = 10 * time.Millisecond

// watched is a process whose CPU (and, for a jitgate process started with
// --pprof, Kafka requests) the harness reads before and after each run.
type watched struct {
	name string
	kind string
	pid  int
	// requests is the process's /debug/kafka-requests URL; empty when it
	// has none.
	requests string
}

// usage is what the watched processes consumed, by process name.
type usage struct {
	cpu  map[string]time.Duration
	reqs map[string]int64 // absent: the process does not report them
	// kinds are the requests by process and kind ("masker-1 Fetch").
	kinds map[string]int64
}

// processCPU reads the user plus system CPU time pid consumed so far, all
// its threads together, from /proc/PID/stat.
func processCPU(pid int) (time.Duration, error) {
	raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, err
	}
	// The command name (field 2) is in parentheses and may hold spaces;
	// the fields after its closing parenthesis start at field 3 (state).
	i := strings.LastIndexByte(string(raw), ')')
	if i < 0 {
		return 0, fmt.Errorf("%w: /proc/%d/stat: no command name", ErrUsage, pid)
	}
	f := strings.Fields(string(raw[i+1:]))
	const utime, stime = 14 - 3, 15 - 3
	if len(f) <= stime {
		return 0, fmt.Errorf("%w: /proc/%d/stat: %d fields", ErrUsage, pid, len(f)+2)
	}
	u, err1 := strconv.ParseInt(f[utime], 10, 64)
	s, err2 := strconv.ParseInt(f[stime], 10, 64)
	if err1 != nil || err2 != nil {
		return 0, fmt.Errorf("%w: /proc/%d/stat: utime %q, stime %q", ErrUsage, pid, f[utime], f[stime])
	}
	return time.Duration(u+s) * clockTick, nil
}

// kafkaRequests reads a jitgate process's request counts by kind.
func kafkaRequests(ctx context.Context, url string) (map[string]int64, error) {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		// An older binary without the endpoint: no figure.
		return nil, fmt.Errorf("%w: %s: %s", ErrUsage, url, resp.Status)
	}
	var byKind map[string]int64
	if err := json.NewDecoder(resp.Body).Decode(&byKind); err != nil {
		return nil, fmt.Errorf("%w: %s: %w", ErrUsage, url, err)
	}
	return byKind, nil
}

// snapshot reads every watched process. A process whose figure cannot be
// read is left out, so its cell shows none rather than a wrong one.
func snapshot(ctx context.Context, ws []watched) usage {
	u := usage{cpu: map[string]time.Duration{}, reqs: map[string]int64{}, kinds: map[string]int64{}}
	for _, w := range ws {
		if d, err := processCPU(w.pid); err == nil {
			u.cpu[w.name] = d
		}
		if w.requests != "" {
			if byKind, err := kafkaRequests(ctx, w.requests); err == nil {
				var n int64
				for k, v := range byKind {
					n += v
					u.kinds[w.name+" "+k] = v
				}
				u.reqs[w.name] = n
			}
		}
	}
	return u
}

// since is what was consumed between before and u, for the processes
// both read.
func (u usage) since(before usage) usage {
	d := usage{cpu: map[string]time.Duration{}, reqs: map[string]int64{}, kinds: map[string]int64{}}
	for n, v := range u.cpu {
		if b, ok := before.cpu[n]; ok {
			d.cpu[n] = v - b
		}
	}
	for n, v := range u.reqs {
		if b, ok := before.reqs[n]; ok {
			d.reqs[n] = v - b
		}
	}
	for n, v := range u.kinds {
		// A kind first sent during the run was 0 before it.
		if _, ok := before.reqs[strings.Fields(n)[0]]; ok && v > before.kinds[n] {
			d.kinds[n] = v - before.kinds[n]
		}
	}
	return d
}

// CPU is what a gateway target consumed per call in a cell: CPU time of
// its processes and, where they report them, the Kafka requests their
// clients sent. CPU per call changes little with the load other work puts
// on the machine, unlike req/s and latency: it is the figure to optimise.
type CPU struct {
	// GatewayMs is the jitgate processes' CPU per call in ms (median of
	// the rounds); for dev it includes the embedded broker.
	GatewayMs float64 `json:"gateway_ms_per_call"`
	// BrokerMs is the Kafka broker's CPU per call in ms (median of the
	// rounds; roles target, broker started by the harness).
	BrokerMs float64 `json:"broker_ms_per_call,omitempty"`
	// Rounds are the gateway's CPU per call of each round, in ms.
	Rounds []float64 `json:"gateway_ms_per_call_rounds"`
	// Processes is each process's CPU per call in ms, over all rounds.
	Processes map[string]float64 `json:"processes_ms_per_call"`
	// KafkaRequests is the Kafka requests the jitgate processes' clients
	// sent per call, over all rounds (absent when they do not report
	// them); KafkaRequestsBy splits it by process.
	KafkaRequests   float64            `json:"kafka_requests_per_call,omitempty"`
	KafkaRequestsBy map[string]float64 `json:"kafka_requests_per_call_by_process,omitempty"`
	// KafkaRequestsByKind splits it by process and request kind
	// ("masker-1 Fetch").
	KafkaRequestsByKind map[string]float64 `json:"kafka_requests_per_call_by_kind,omitempty"`
}

// usageAccum collects a cell's usage across rounds.
type usageAccum struct {
	kinds  map[string]string // process name -> kind
	rounds []usage
	calls  []int // calls finished in each round
}

func (a *usageAccum) add(u usage, calls int) {
	a.rounds = append(a.rounds, u)
	a.calls = append(a.calls, calls)
}

// cpu summarises the rounds; nil when no round read anything.
func (a *usageAccum) cpu() *CPU {
	if a == nil || len(a.rounds) == 0 {
		return nil
	}
	c := &CPU{Processes: map[string]float64{}}
	var gw, br []float64
	total := map[string]time.Duration{}
	reqs := map[string]int64{}
	kinds := map[string]int64{}
	calls := 0
	for i, u := range a.rounds {
		if a.calls[i] == 0 || len(u.cpu) == 0 {
			continue
		}
		calls += a.calls[i]
		var g, b time.Duration
		for n, d := range u.cpu {
			total[n] += d
			if a.kinds[n] == KindBroker {
				b += d
			} else {
				g += d
			}
		}
		for n, v := range u.reqs {
			reqs[n] += v
		}
		for n, v := range u.kinds {
			kinds[n] += v
		}
		gw = append(gw, ms(g)/float64(a.calls[i]))
		if b > 0 {
			br = append(br, ms(b)/float64(a.calls[i]))
		}
	}
	if calls == 0 {
		return nil
	}
	c.Rounds = gw
	c.GatewayMs = median(gw)
	c.BrokerMs = median(br)
	for n, d := range total {
		c.Processes[n] = ms(d) / float64(calls)
	}
	if len(reqs) > 0 {
		c.KafkaRequestsBy = map[string]float64{}
		for n, v := range reqs {
			c.KafkaRequestsBy[n] = float64(v) / float64(calls)
			c.KafkaRequests += float64(v) / float64(calls)
		}
		c.KafkaRequestsByKind = map[string]float64{}
		for n, v := range kinds {
			c.KafkaRequestsByKind[n] = float64(v) / float64(calls)
		}
	}
	return c
}

// median of vs; 0 when empty.
func median(vs []float64) float64 {
	if len(vs) == 0 {
		return 0
	}
	s := slices.Clone(vs)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}
