package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/jitgate/jitgate/internal/api"
	"github.com/jitgate/jitgate/internal/testenv"
)

// holdsPolicy exercises every part of the hold workflow with short times.
const holdsPolicy = `version: 1
rules:
  - name: delete-object-needs-approval
    when: service == "s3" && operation == "DeleteObject" && resources.bucket == "held"
    then: hold
    reason: deleting objects needs a human
    approvers: [approvers]
    wait: 1m
    grant: {for: 15s, scope: call}
  - name: two-person-rule
    when: service == "s3" && operation == "DeleteObject" && resources.bucket == "critical"
    then: hold
    reason: critical data
    approvers: [approvers]
    approvals: 2
    wait: 1m
    grant: {for: 1m, scope: call}
  - name: short-lived-hold
    when: service == "s3" && operation == "PutBucketTagging"
    then: hold
    reason: tagging is reviewed
    approvers: [approvers]
    wait: 2s
  - name: justify-first
    when: service == "s3" && operation == "PutBucketVersioning"
    then: hold
    reason: versioning changes need a reason
    approvers: [approvers]
    require_justification: true
    wait: 1m
  - name: sandbox-allow
    when: '"sandbox" in principal.groups'
    then: allow
    reason: sandbox agents may work
`

var (
	heldID    = regexp.MustCompile(`request ([0-9a-f-]{36}) is awaiting`)
	requestID = regexp.MustCompile(`request id ([0-9a-f-]{36})`)
)

// startHoldsGateway runs a dev gateway with the holds policy and an 8s
// agent wait.
func startHoldsGateway(t, owner *testing.T, dir, policyFile, listen, tlsListen, ch string) *devGateway {
	t.Helper()
	p := startJitgateFor(t, owner, "jitgate dev", nil, "dev", "--data-dir", dir, "--listen", listen, "--tls-listen", tlsListen,
		"--policy", policyFile, "--clickhouse", ch, "--wait", "8s")
	waitReady(t, p, "http://"+listen+"/readyz")
	return &devGateway{dir: dir, endpoint: "http://" + listen, clickhouse: ch, proc: p}
}

// cli runs a jitgate approver command as sub (in groups) against d.
func (d *devGateway) cli(t *testing.T, sub, groups string, args ...string) (string, string, bool) {
	t.Helper()
	tok, errOut, ok := run(t, nil, jitgateBin(t), "dev", "token", "--data-dir", d.dir, "--sub", sub, "--groups", groups)
	if !ok {
		t.Fatalf("dev token: %s", errOut)
	}
	env := []string{"JITGATE_ENDPOINT=" + d.endpoint, "JITGATE_TOKEN=" + strings.TrimSpace(tok), "HOME=" + t.TempDir()}
	return run(t, env, jitgateBin(t), args...)
}

func (d *devGateway) pending(t *testing.T) []api.Hold {
	t.Helper()
	out, errOut, ok := d.cli(t, "alice", "approvers", "pending", "--json")
	if !ok {
		t.Fatalf("jitgate pending: %s", errOut)
	}
	var hs []api.Hold
	if err := json.Unmarshal([]byte(out), &hs); err != nil {
		t.Fatalf("pending --json: %v\n%s", err, out)
	}
	return hs
}

// waitHeld waits until a hold for operation appears and returns it.
func (d *devGateway) waitHeld(t *testing.T, operation string, skip map[string]bool) api.Hold {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		for _, h := range d.pending(t) {
			if h.Operation == operation && !skip[h.ID] {
				return h
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("no pending hold for %s", operation)
	return api.Hold{}
}

// heldCall runs an AWS CLI call expected to be held past the agent's wait
// and returns the request id from its AccessDenied message.
func heldCall(t *testing.T, env []string, args ...string) string {
	t.Helper()
	_, errOut, ok := awsCLI(t, env, args...)
	m := heldID.FindStringSubmatch(errOut)
	if ok || m == nil {
		t.Fatalf("aws %v was not held: ok=%v %s", args, ok, errOut)
	}
	return m[1]
}

func TestHoldWorkflow(t *testing.T) {
	ch := testenv.ClickHouse(t)
	dir := t.TempDir()
	policyFile := filepath.Join(t.TempDir(), "policy.yaml")
	if err := os.WriteFile(policyFile, []byte(holdsPolicy), 0o600); err != nil {
		t.Fatal(err)
	}
	listen := fmt.Sprintf("127.0.0.1:%d", testenv.FreePort(t))
	tlsListen := fmt.Sprintf("127.0.0.1:%d", testenv.FreePort(t))
	top := t
	d := startHoldsGateway(t, t, dir, policyFile, listen, tlsListen, ch)
	env := d.agentEnv(t, "bot-1", "sandbox", false)
	for _, b := range []string{"held", "critical"} {
		if o, e, ok := awsCLI(t, env, "s3", "mb", "s3://"+b); !ok {
			t.Fatalf("mb %s: %s %s", b, o, e)
		}
		for _, k := range []string{"a", "b", "c", "d"} {
			src := filepath.Join(t.TempDir(), k)
			os.WriteFile(src, []byte(k), 0o600)
			if o, e, ok := awsCLI(t, env, "s3", "cp", src, "s3://"+b+"/"+k); !ok {
				t.Fatalf("cp: %s %s", o, e)
			}
		}
	}
	exists := func(bucket, key string) bool {
		_, _, ok := awsCLI(t, env, "s3api", "head-object", "--bucket", bucket, "--key", key)
		return ok
	}

	t.Run("approved within the wait, the held call runs", func(t *testing.T) {
		type result struct {
			out, err string
			ok       bool
		}
		done := make(chan result, 1)
		go func() {
			o, e, ok := run(t, env, "aws", "s3api", "delete-object", "--bucket", "held", "--key", "a")
			done <- result{o, e, ok}
		}()
		h := d.waitHeld(t, "DeleteObject", nil)
		if h.Agent != "bot-1" || h.Rule != "delete-object-needs-approval" || h.Resources["bucket"] != "held" || h.Needed != 1 {
			t.Fatalf("pending shows %+v", h)
		}
		if out, e, ok := d.cli(t, "alice", "approvers", "approve", h.ID, "--reason", "cleanup"); !ok || !strings.Contains(out, "approved") {
			t.Fatalf("approve: %s %s", out, e)
		}
		r := <-done
		if !r.ok {
			t.Fatalf("the approved call failed: %s", r.err)
		}
		if exists("held", "a") {
			t.Fatal("object still exists after the approved delete")
		}
	})

	t.Run("approved after the wait, the retry passes through the grant, which expires", func(t *testing.T) {
		id := heldCall(t, env, "s3api", "delete-object", "--bucket", "held", "--key", "b")
		if out, e, ok := d.cli(t, "alice", "approvers", "show", id); !ok || !strings.Contains(out, "delete-object-needs-approval") || !strings.Contains(out, "timeline") {
			t.Fatalf("show: %s %s", out, e)
		}
		if out, e, ok := d.cli(t, "alice", "approvers", "approve", id); !ok {
			t.Fatalf("approve: %s %s", out, e)
		}
		out, e, ok := d.cli(t, "alice", "approvers", "grants", "--json")
		var gs []api.Grant
		if !ok || json.Unmarshal([]byte(out), &gs) != nil {
			t.Fatalf("grants: %s %s", out, e)
		}
		var grant *api.Grant
		for i := range gs {
			if gs[i].RequestID == id {
				grant = &gs[i]
			}
		}
		if grant == nil || grant.Agent != "bot-1" || grant.Scope != "call" {
			t.Fatalf("grants does not list the grant of %s: %s", id, out)
		}
		if !exists("held", "b") {
			t.Fatal("an approval after the wait must not run the call by itself")
		}
		if o, e, ok := awsCLI(t, env, "s3api", "delete-object", "--bucket", "held", "--key", "b"); !ok {
			t.Fatalf("retry through the grant: %s %s", o, e)
		}
		if exists("held", "b") {
			t.Fatal("object still exists after the retry")
		}
		time.Sleep(time.Until(grant.Expires) + time.Second)
		heldCall(t, env, "s3api", "delete-object", "--bucket", "held", "--key", "b")
	})

	t.Run("a revoked grant stops the next call", func(t *testing.T) {
		id := heldCall(t, env, "s3api", "delete-object", "--bucket", "critical", "--key", "c")
		if _, e, ok := d.cli(t, "alice", "approvers", "approve", id); !ok {
			t.Fatal(e)
		}
		if _, e, ok := d.cli(t, "carol", "approvers", "approve", id); !ok {
			t.Fatal(e)
		}
		out, e, ok := d.cli(t, "alice", "approvers", "grants", "--json")
		var gs []api.Grant
		if !ok || json.Unmarshal([]byte(out), &gs) != nil {
			t.Fatalf("grants: %s %s", out, e)
		}
		var grant string
		for _, g := range gs {
			if g.RequestID == id {
				grant = g.ID
			}
		}
		if grant == "" {
			t.Fatalf("no grant for %s in %s", id, out)
		}
		if _, e, ok := d.cli(t, "carol", "approvers", "revoke", grant, "--reason", "changed my mind"); !ok {
			t.Fatal(e)
		}
		heldCall(t, env, "s3api", "delete-object", "--bucket", "critical", "--key", "c")
		if !exists("critical", "c") {
			t.Fatal("the call ran after its grant was revoked")
		}
	})

	t.Run("refusals", func(t *testing.T) {
		id := heldCall(t, env, "s3api", "delete-object", "--bucket", "critical", "--key", "d")
		refused := func(name, sub, groups, want string, args ...string) {
			t.Helper()
			_, e, ok := d.cli(t, sub, groups, args...)
			if ok || !strings.Contains(e, want) {
				t.Errorf("%s: ok=%v, stderr %q lacks %q", name, ok, e, want)
			}
		}
		refused("self-approval", "bot-1", "sandbox,approvers", "cannot approve", "approve", id)
		// Someone who may not see the hold is told it does not exist.
		refused("non-member", "bob", "devs", "no hold "+id, "approve", id)
		if _, e, ok := d.cli(t, "alice", "approvers", "approve", id); !ok {
			t.Fatal(e)
		}
		refused("second approval by the same person", "alice", "approvers", "already approved", "approve", id)
		refused("wider grant", "carol", "approvers", "", "approve", id, "--for", "2h")
		if _, e, ok := d.cli(t, "carol", "approvers", "deny", id, "--reason", "not today"); !ok {
			t.Fatal(e)
		}
		refused("approve a denied hold", "dave", "approvers", "denied", "approve", id)

		// The rule's hold lives 2s, less than the agent's 8s wait: the agent
		// learns that it expired.
		_, errOut, ok := awsCLI(t, env, "s3api", "put-bucket-tagging", "--bucket", "held", "--tagging", "TagSet=[{Key=k,Value=v}]")
		m := requestID.FindStringSubmatch(errOut)
		if ok || m == nil || !strings.Contains(errOut, "expired") {
			t.Fatalf("put-bucket-tagging: ok=%v %s", ok, errOut)
		}
		refused("approve an expired hold", "alice", "approvers", "expired", "approve", m[1])

		verID := heldCall(t, env, "s3api", "put-bucket-versioning", "--bucket", "held", "--versioning-configuration", "Status=Enabled")
		refused("approve before the required justification", "alice", "approvers", "justif", "approve", verID)
		refused("justify someone else's request", "mallory", "sandbox", "no hold "+verID, "justify", verID, "trust me")
		if _, e, ok := d.cli(t, "bot-1", "sandbox", "justify", verID, "turning on versioning before the migration"); !ok {
			t.Fatal(e)
		}
		out, _, _ := d.cli(t, "alice", "approvers", "pending")
		if !strings.Contains(out, "turning on versioning") {
			t.Errorf("pending does not show the justification:\n%s", out)
		}
		if _, e, ok := d.cli(t, "alice", "approvers", "approve", verID); !ok {
			t.Fatalf("approve after justification: %s", e)
		}
	})

	t.Run("restart keeps pending holds and active grants", func(t *testing.T) {
		// An open hold and an active grant (two-person rule, one minute).
		heldCall(t, env, "s3api", "delete-object", "--bucket", "held", "--key", "c")
		id := heldCall(t, env, "s3api", "delete-object", "--bucket", "critical", "--key", "a")
		for _, approver := range []string{"alice", "carol"} {
			if _, e, ok := d.cli(t, approver, "approvers", "approve", id); !ok {
				t.Fatal(e)
			}
		}
		before := d.pending(t)
		grantsBefore, _, _ := d.cli(t, "alice", "approvers", "grants", "--json")
		d.stop(t)
		d = startHoldsGateway(t, top, dir, policyFile, listen, tlsListen, ch)
		after := d.pending(t)
		if holdIDs(before) != holdIDs(after) || len(after) == 0 {
			t.Fatalf("pending before %s, after %s", holdIDs(before), holdIDs(after))
		}
		grantsAfter, _, _ := d.cli(t, "alice", "approvers", "grants", "--json")
		if grantsAfter != grantsBefore {
			t.Fatalf("grants changed across the restart:\nbefore %s\nafter %s", grantsBefore, grantsAfter)
		}
		// The in-process emulator keeps no state across restarts; the
		// gateway's log does.
		if o, e, ok := awsCLI(t, env, "s3", "mb", "s3://critical"); !ok {
			t.Fatalf("mb after restart: %s %s", o, e)
		}
		if o, e, ok := awsCLI(t, env, "s3api", "delete-object", "--bucket", "critical", "--key", "a"); !ok {
			t.Fatalf("the grant did not survive the restart: %s %s", o, e)
		}
	})

	t.Run("a bad policy reload keeps the policy in force", func(t *testing.T) {
		if err := os.WriteFile(policyFile, []byte(strings.Replace(holdsPolicy, `"sandbox" in principal.groups`, `"sandbox" in principal.groupz`, 1)), 0o600); err != nil {
			t.Fatal(err)
		}
		deadline := time.Now().Add(15 * time.Second)
		for !strings.Contains(d.proc.output(), "policy reload rejected") {
			if time.Now().After(deadline) {
				t.Fatal("the bad policy was not reported")
			}
			time.Sleep(100 * time.Millisecond)
		}
		if !strings.Contains(d.proc.output(), "sandbox-allow") {
			t.Error("the rejection does not name the rule")
		}
		if o, e, ok := awsCLI(t, env, "s3", "ls"); !ok {
			t.Fatalf("calls fail after a bad reload: %s %s", o, e)
		}
	})
}

func holdIDs(hs []api.Hold) string {
	var out []string
	for _, h := range hs {
		out = append(out, h.ID)
	}
	return strings.Join(out, ",")
}
