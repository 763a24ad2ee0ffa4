package faulttest

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"testing"
	"time"

	"github.com/jitgate/jitgate/internal/audit"
	"github.com/jitgate/jitgate/internal/cluster/clustertest"
)

// refusalOutcome is the request.refused outcome of an answer at the door.
func refusalOutcome(c *call) string {
	if c.code == "ServiceUnavailable" {
		return "unavailable"
	}
	return "throttled"
}

// checkRefusals asserts that every call refused at the ingress's door
// (throttled, or the broker unreachable) is in the log as exactly one
// request.refused named by the request id the agent saw, with the outcome
// the answer meant, except at most as many as the ingresses counted as
// dropped (their logs' dropped_total). Refusals are published in the
// background, and those of a broker outage after it ends: the log is read
// again for up to 30 s while some are missing.
func checkRefusals(t *testing.T, e *clustertest.Env, calls []*call, inLog, reqs map[string]*request) []string {
	t.Helper()
	var refused []*call
	for _, c := range calls {
		// A refusal that raced a publish the broker took after all is in
		// the log as its request; the other checks cover it.
		if c.requestID != "" && refusedAtTheDoor(c) && inLog[c.key] == nil {
			refused = append(refused, c)
		}
	}
	missing := func() []*call {
		var out []*call
		for _, c := range refused {
			if r := reqs[c.requestID]; r == nil || len(r.refusals) == 0 {
				out = append(out, c)
			}
		}
		return out
	}
	if len(missing()) > 0 {
		cl, err := audit.Open(context.Background(), e.ClickHouse.Addr, "jitgate", "default", "")
		if err != nil {
			t.Fatal(err)
		}
		defer cl.Close()
		for deadline := time.Now().Add(30 * time.Second); len(missing()) > 0 && time.Now().Before(deadline); {
			time.Sleep(time.Second)
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			reqs, err = readLog(ctx, cl)
			cancel()
			if err != nil {
				t.Fatal(err)
			}
		}
	}
	var problems []string
	for _, c := range refused {
		r := reqs[c.requestID]
		if r == nil || len(r.refusals) == 0 {
			continue
		}
		if len(r.refusals) != 1 || len(r.terminals) != 0 {
			problems = append(problems, fmt.Sprintf("%s %s (request %s, refused with %s): %d request.refused and %d response.ready, want one refusal",
				c.kind, c.key, c.requestID, c.code, len(r.refusals), len(r.terminals)))
			continue
		}
		for _, out := range r.refusals {
			if out != refusalOutcome(c) {
				problems = append(problems, fmt.Sprintf("%s %s (request %s, refused with %s): outcome %q, want %q", c.kind, c.key, c.requestID, c.code, out, refusalOutcome(c)))
			}
		}
	}
	gone := missing()
	dropped, err := droppedRefusals(e.Dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("refusals at the door: %d calls refused, %d of them in the log, %d dropped by the ingresses (their own count)", len(refused), len(refused)-len(gone), dropped)
	if len(gone) > dropped {
		for i, c := range gone {
			if i == 10 {
				problems = append(problems, fmt.Sprintf("... and %d more refusals at the door not in the log", len(gone)-10))
				break
			}
			problems = append(problems, fmt.Sprintf("%s %s: the agent got %s with request id %s, which has no request.refused in the log (the ingresses dropped %d)",
				c.kind, c.key, c.code, c.requestID, dropped))
		}
	}
	return problems
}

// droppedTotal is the ingress's running count of refusals it never
// published, in its drop reports.
var droppedTotal = regexp.MustCompile(`refusals at the door.* dropped_total=([0-9]+)`)

// droppedRefusals sums, over every ingress process of the run (each log
// file is one process), the last count of refusals it dropped.
func droppedRefusals(dir string) (int, error) {
	files, err := filepath.Glob(filepath.Join(dir, "ingress-*.log"))
	if err != nil {
		return 0, err
	}
	total := 0
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			return 0, err
		}
		last := 0
		for _, m := range droppedTotal.FindAllSubmatch(b, -1) {
			n, _ := strconv.Atoi(string(m[1]))
			last = max(last, n)
		}
		total += last
	}
	return total, nil
}

func TestDroppedRefusals(t *testing.T) {
	dir := t.TempDir()
	report := "level=WARN msg=\"refusals at the door dropped: their queue was full; those calls are not in the log\" "
	logs := map[string]string{
		"ingress-1.log":   report + "dropped=5 dropped_total=5 queue=4096\n" + report + "dropped=7 dropped_total=12 queue=4096\n",
		"ingress-1.2.log": "level=WARN msg=\"refusals at the door not published at shutdown\" dropped=3\n" + report + "dropped=3 dropped_total=3 queue=4096\n",
		"decider-1.log":   report + "dropped_total=100\n",
	}
	for name, text := range logs {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	if n, err := droppedRefusals(dir); err != nil || n != 15 {
		t.Fatalf("droppedRefusals = %d, %v; want 15 (12 + 3; the decider's log is no ingress's)", n, err)
	}
}
