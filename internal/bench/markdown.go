package bench

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// Files a report is written as, in its directory.
const (
	FileJSON     = "report.json"
	FileMarkdown = "report.md"
	FilePlot     = "latency.png"
)

// Write stores the report in dir as JSON, markdown and the latency plot.
func (r *Report) Write(dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	raw, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, FileJSON), append(raw, '\n'), 0o644); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, FileMarkdown), []byte(r.Markdown()), 0o644); err != nil {
		return err
	}
	png, err := r.Plot()
	if err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, FilePlot), png, 0o644)
}

// Markdown renders the report: where it ran, the main table, and the
// median latency per call kind.
func (r *Report) Markdown() string {
	var b strings.Builder
	m, s := r.Machine, r.Settings
	fmt.Fprintf(&b, "# jitbench %s\n\n", r.Started.Format("2006-01-02 15:04 UTC"))
	fmt.Fprintf(&b, "- machine: %d CPUs (%s), %d MiB, %s, %s; load average %.2f at start, %.2f at end\n",
		m.CPUs, m.CPUModel, m.MemoryMiB, m.OS, m.GoVersion, m.LoadAvgStart, m.LoadAvgEnd)
	fmt.Fprintf(&b, "- commit: %s\n", m.Commit)
	fmt.Fprintf(&b, "- load: calls %s, round robin, one attempt each (SDK retries off); %g s per run, %d round(s), targets alternating; %d clients per principal; jitgate log level %s\n",
		strings.Join(s.Ops, ", "), s.RunSeconds, s.Rounds, s.PerAgent, s.LogLevel)
	b.WriteString("\n")
	b.WriteString("| target | load | req/s | p50 ms | p99 ms | p99.9 ms | errors | req/s ÷ floor | + p50 / p99 over upstream (ms) | + p50 / p99 over floor (ms) |\n")
	b.WriteString("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|\n")
	for _, c := range r.Cells {
		fmt.Fprintf(&b, "| %s | %s | %.0f | %s | %s | %s | %d | %s | %s | %s |\n",
			c.Target, c.load(), c.ReqPerSec, num(c.P50), num(c.P99), p999(c), c.Errors, ratio(c.ThroughputVsProxy), added(c.AddedOverUpstream), added(c.AddedOverProxy))
	}
	writeCPU(&b, r.Cells)
	b.WriteString("\nMedian latency (ms) per call:\n\n| target | load |")
	for _, op := range s.Ops {
		fmt.Fprintf(&b, " %s |", op)
	}
	b.WriteString("\n|---|---|" + strings.Repeat("---:|", len(s.Ops)) + "\n")
	for _, c := range r.Cells {
		fmt.Fprintf(&b, "| %s | %s |", c.Target, c.load())
		for _, op := range s.Ops {
			if l, ok := c.PerOp[op]; ok {
				fmt.Fprintf(&b, " %s |", num(l.P50))
			} else {
				b.WriteString(" – |")
			}
		}
		b.WriteString("\n")
	}
	var errs []string
	for _, c := range r.Cells {
		if c.FirstError != "" {
			errs = append(errs, fmt.Sprintf("- %s %s: %d errors, the first: %s", c.Target, c.load(), c.Errors, c.FirstError))
		}
	}
	if len(errs) > 0 {
		b.WriteString("\nErrors:\n\n" + strings.Join(errs, "\n") + "\n")
	}
	b.WriteString("\nTargets: " + targetList(s.Targets) + ".\n")
	return b.String()
}

func (c Cell) load() string {
	if c.Mode == ModeRate {
		return fmt.Sprintf("%g/s", c.Rate)
	}
	return fmt.Sprintf("c=%d", c.Concurrency)
}

func targetList(names []string) string {
	parts := make([]string, len(names))
	for i, n := range names {
		parts[i] = fmt.Sprintf("%s = %s", n, targetLabel(n))
	}
	return strings.Join(parts, "; ")
}

// num prints a millisecond value with the precision it deserves.
func num(v float64) string {
	switch {
	case v >= 100 || v <= -100:
		return fmt.Sprintf("%.0f", v)
	case v >= 10 || v <= -10:
		return fmt.Sprintf("%.1f", v)
	default:
		return fmt.Sprintf("%.2f", v)
	}
}

// p999 is blank below 1000 calls, where it is only the maximum.
func p999(c Cell) string {
	if c.Calls < 1000 {
		return "–"
	}
	return num(c.P999)
}

func ratio(v float64) string {
	if v == 0 {
		return "–"
	}
	return fmt.Sprintf("%.2f", v)
}

func added(a *Added) string {
	if a == nil {
		return "–"
	}
	return fmt.Sprintf("%+.2f / %+.2f", a.P50, a.P99)
}

// writeCPU adds the CPU-per-call table of the gateway targets: the figure
// that changes least with the machine's other load.
func writeCPU(b *strings.Builder, cells []Cell) {
	var rows []Cell
	for _, c := range cells {
		if c.CPU != nil {
			rows = append(rows, c)
		}
	}
	if len(rows) == 0 {
		return
	}
	b.WriteString("\nCPU per call (ms; the jitgate processes, dev including its embedded broker; median of the rounds, each round's figure in brackets) and the Kafka requests the jitgate processes' clients sent per call:\n\n")
	b.WriteString("| target | load | jitgate CPU ms/call | broker CPU ms/call | per process (ms/call) | Kafka requests/call | per process |\n")
	b.WriteString("|---|---|---:|---:|---|---:|---|\n")
	for _, c := range rows {
		u := c.CPU
		rounds := make([]string, len(u.Rounds))
		for i, v := range u.Rounds {
			rounds[i] = fmt.Sprintf("%.3f", v)
		}
		broker, reqs := "–", "–"
		if u.BrokerMs > 0 {
			broker = fmt.Sprintf("%.3f", u.BrokerMs)
		}
		if u.KafkaRequests > 0 {
			reqs = fmt.Sprintf("%.2f", u.KafkaRequests)
		}
		fmt.Fprintf(b, "| %s | %s | %.3f [%s] | %s | %s | %s | %s |\n", c.Target, c.load(), u.GatewayMs, strings.Join(rounds, ", "),
			broker, perProcess(u.Processes, "%.3f"), reqs, perProcess(u.KafkaRequestsBy, "%.2f"))
	}
	var kinds []string
	for _, c := range rows {
		if len(c.CPU.KafkaRequestsByKind) > 0 {
			kinds = append(kinds, fmt.Sprintf("| %s | %s | %s |", c.Target, c.load(), perProcess(significant(c.CPU.KafkaRequestsByKind), "%.2f")))
		}
	}
	if len(kinds) > 0 {
		b.WriteString("\nKafka requests per call by process and kind (0.01 and more):\n\n| target | load | requests/call |\n|---|---|---|\n")
		b.WriteString(strings.Join(kinds, "\n") + "\n")
	}
}

// significant drops the entries below 0.01.
func significant(m map[string]float64) map[string]float64 {
	out := map[string]float64{}
	for k, v := range m {
		if v >= 0.01 {
			out[k] = v
		}
	}
	return out
}

// perProcess lists name=value pairs in name order.
func perProcess(m map[string]float64, format string) string {
	if len(m) == 0 {
		return "–"
	}
	names := make([]string, 0, len(m))
	for n := range m {
		names = append(names, n)
	}
	slices.Sort(names)
	parts := make([]string, len(names))
	for i, n := range names {
		parts[i] = n + " " + fmt.Sprintf(format, m[n])
	}
	return strings.Join(parts, ", ")
}
