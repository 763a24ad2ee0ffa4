package bench

import (
	"bytes"
	"fmt"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jitgate/jitgate/internal/testenv"
)

// TestSmoke runs the harness against the upstream, the proxy and jitgate
// dev with tiny counts and checks that the report has every row, that no
// call failed, and that it writes its three files. It asserts nothing
// about speed.
func TestSmoke(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs jitgate dev")
	}
	root := testenv.RepoRoot(t)
	bin := filepath.Join(t.TempDir(), "jitgate")
	build := exec.Command("go", "build", "-o", bin, "./cmd/jitgate")
	build.Dir = root
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build ./cmd/jitgate: %v\n%s", err, out)
	}
	cfg := Config{
		Targets: []string{TargetUpstream, TargetProxy, TargetDev}, Concurrency: []int{1, 3},
		Rate: 20, Duration: 300 * time.Millisecond, Rounds: 1, Warmup: 200 * time.Millisecond, MaxRequests: 200,
		PerAgent: 2, Jitgate: bin, RepoRoot: root, WorkDir: t.TempDir(),
	}
	rep, err := Run(t.Context(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	type row struct {
		target, load string
	}
	var want, got []row
	for _, tg := range cfg.Targets {
		want = append(want, row{tg, "c=1"}, row{tg, "c=3"}, row{tg, "20/s"})
	}
	for _, c := range rep.Cells {
		got = append(got, row{c.Target, c.load()})
		if c.Calls == 0 || c.Errors != 0 {
			t.Errorf("%s %s: %d calls, %d errors (first: %s)", c.Target, c.load(), c.Calls, c.Errors, c.FirstError)
		}
		for op := range numOps {
			if _, ok := c.PerOp[Op(op).String()]; !ok {
				t.Errorf("%s %s: no %s call", c.Target, c.load(), Op(op))
			}
		}
		if c.ThroughputVsProxy == 0 || c.AddedOverUpstream == nil || c.AddedOverProxy == nil {
			t.Errorf("%s %s: ratios missing: %+v", c.Target, c.load(), c)
		}
		// The gateway's CPU and Kafka requests per call are read from
		// its process; the upstream and the proxy share the harness's.
		switch {
		case c.Target != TargetDev && c.CPU != nil:
			t.Errorf("%s %s: CPU figures for a target in the harness's process: %+v", c.Target, c.load(), c.CPU)
		case c.Target == TargetDev && (c.CPU == nil || c.CPU.GatewayMs <= 0 || c.CPU.KafkaRequests <= 0):
			t.Errorf("%s %s: no CPU or Kafka requests per call: %+v", c.Target, c.load(), c.CPU)
		}
	}
	slices.SortFunc(want, func(a, b row) int { return strings.Compare(a.target+a.load, b.target+b.load) })
	slices.SortFunc(got, func(a, b row) int { return strings.Compare(a.target+a.load, b.target+b.load) })
	if !slices.Equal(got, want) {
		t.Fatalf("report rows %v, want %v", got, want)
	}
	// Every gateway call reached the canned upstream except
	// GetCallerIdentity, which jitgate answers itself.
	if rep.Upstream.Calls == 0 {
		t.Error("the canned upstream saw no calls")
	}

	out := t.TempDir()
	if err := rep.Write(out); err != nil {
		t.Fatal(err)
	}
	md, err := os.ReadFile(filepath.Join(out, FileMarkdown))
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range want {
		if !bytes.Contains(md, []byte(fmt.Sprintf("| %s | %s |", r.target, r.load))) {
			t.Errorf("report.md has no row for %s %s", r.target, r.load)
		}
	}
	if !bytes.Contains(md, []byte("| dev | c=1 |")) || !bytes.Contains(md, []byte("CPU per call")) {
		t.Error("report.md has no CPU-per-call table")
	}
	for _, name := range []string{FileJSON, FilePlot} {
		if _, err := os.Stat(filepath.Join(out, name)); err != nil {
			t.Error(err)
		}
	}
	f, err := os.Open(filepath.Join(out, FilePlot))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := png.Decode(f); err != nil {
		t.Errorf("latency.png: %v", err)
	}
}
