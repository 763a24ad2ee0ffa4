package faulttest

import (
	"cmp"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/smithy-go"

	"github.com/jitgate/jitgate/internal/audit"
	"github.com/jitgate/jitgate/internal/cluster"
	"github.com/jitgate/jitgate/internal/cluster/clustertest"
)

// maxGap bounds the time without a successful call after a role is killed
// and restarted: the behaviour under test (issue 8: fast failover).
const maxGap = 10 * time.Second

// wait is the ingresses' --wait and the executors' --max-wait.
const wait = 10 * time.Second

// upstreamLatency is how long the emulator holds each call.
const upstreamLatency = 300 * time.Millisecond

// fault is one thing done to the deployment while the load runs.
type fault struct {
	name   string
	inject func(context.Context, *clustertest.Env) error
	// down is how long the fault lasts before heal.
	down time.Duration
	heal func(context.Context, *clustertest.Env) error
	// settle is how long the load runs after heal before the next fault.
	settle time.Duration
	// gapBound is the largest gap in successes allowed (0: not checked).
	gapBound time.Duration
	// brokerDown: calls made while the fault lasts must be answered
	// promptly (checkPromptWhileDown), not after --wait.
	brokerDown bool
	// resumeBound, if set: a call succeeds within it of the heal, and no
	// gap in successes after the heal (to the next fault) is longer.
	resumeBound time.Duration

	injected, healed time.Time
}

// killRestart kills name with SIGKILL and restarts it with the same
// --instance after down.
func killRestart(name string, down, settle time.Duration) *fault {
	return &fault{name: "kill -9 " + name, down: down, settle: settle, gapBound: maxGap,
		inject: func(_ context.Context, e *clustertest.Env) error { return e.Kill(name) },
		heal:   func(ctx context.Context, e *clustertest.Env) error { return e.Restart(ctx, name) }}
}

// scenario is one fault run.
type scenario struct {
	rate   float64       // calls per second
	warmup time.Duration // load before the first fault
	faults []*fault
	drain  time.Duration // load after the last fault
	// ownBroker runs a broker for this scenario alone (it stops it).
	ownBroker bool
}

// TestKillEachRole is the bounded fault run of `make test`: each role as
// its own process, two deciders and two executors, a steady mixed load,
// and kill -9 of each role in turn (decider, executor, masker, ingress,
// recorder), each restarted with its --instance 3 s later.
func TestKillEachRole(t *testing.T) {
	var faults []*fault
	for _, name := range []string{"decider-1", "executor-1", "masker-1", "ingress-1", "recorder-1"} {
		faults = append(faults, killRestart(name, 3*time.Second, 9*time.Second))
	}
	runScenario(t, scenario{rate: 16, warmup: 6 * time.Second, faults: faults, drain: 4 * time.Second})
}

// TestSoak is the long run of `make soak` (JITGATE_SOAK=1): more load,
// every process killed three times, the broker restarted and ClickHouse
// stopped and started mid-load.
func TestSoak(t *testing.T) {
	if os.Getenv("JITGATE_SOAK") != "1" {
		t.Skip("the long fault run: set JITGATE_SOAK=1 (make soak)")
	}
	var faults []*fault
	for round := range 3 {
		for _, role := range []string{"decider", "executor", "masker", "ingress", "recorder"} {
			n := 1
			if role == "decider" || role == "executor" {
				n = 1 + round%2
			}
			faults = append(faults, killRestart(fmt.Sprintf("%s-%d", role, n), time.Duration(2+round)*time.Second, 10*time.Second))
		}
		if round == 0 {
			faults = append(faults, clickHouseOutage(20*time.Second))
		}
		if round == 1 {
			faults = append(faults, brokerRestart())
		}
	}
	runScenario(t, scenario{rate: 30, warmup: 10 * time.Second, faults: faults, drain: 10 * time.Second, ownBroker: true})
}

// TestOutages restarts the broker of its own once and stops ClickHouse
// under load (make test, about 85 s), and in `make soak` (JITGATE_SOAK=1)
// restarts the broker twice, with the ClickHouse outage between: the
// ingress answers promptly while the broker is down, the pipeline resumes
// within resumeBound of the broker's return, every request the log holds
// ends once, nothing runs twice, and every event reaches ClickHouse once.
// The broker is the test's own (clustertest.Options.OwnBroker): the
// broker other tests share is never stopped.
func TestOutages(t *testing.T) {
	faults := []*fault{brokerRestart(), clickHouseOutage(10 * time.Second)}
	if os.Getenv("JITGATE_SOAK") == "1" {
		faults = append(faults, brokerRestart())
	}
	runScenario(t, scenario{rate: 20, warmup: 6 * time.Second, faults: faults, drain: 4 * time.Second, ownBroker: true})
}

// resumeBound bounds how long after the broker is ready again the first
// call succeeds, and any gap in successes after that: every client
// reconnects within about a second (bus.reconnectOpts) and a stage whose
// partitions stay unserved is rebuilt by its stall watchdog after
// bus.DefaultStallTimeout (5 s); the rest is margin for a loaded two-core
// machine. Measured: the first success 0.6–1.1 s after the broker was
// ready.
const resumeBound = 12 * time.Second

// clickHouseOutage stops ClickHouse for down: off the agents' path, the
// recorder waits and catches up.
func clickHouseOutage(down time.Duration) *fault {
	return &fault{name: "ClickHouse stopped", down: down, settle: 10 * time.Second,
		inject: func(_ context.Context, e *clustertest.Env) error { e.ClickHouse.Stop(); return nil },
		heal:   func(_ context.Context, e *clustertest.Env) error { return e.ClickHouse.Start() }}
}

// brokerRestart stops the broker (SIGTERM) and starts it again 3 s later.
// Not bounded by maxGap (the broker takes seconds to stop and start) but
// by resumeBound from the moment it is ready again.
func brokerRestart() *fault {
	return &fault{name: "broker restarted", down: 3 * time.Second, settle: 15 * time.Second, brokerDown: true, resumeBound: resumeBound,
		inject: func(_ context.Context, e *clustertest.Env) error {
			if e.Kafka.External() {
				return fmt.Errorf("the broker comes from JITGATE_TEST_KAFKA: unset it to restart the broker")
			}
			e.Kafka.Stop()
			return nil
		},
		heal: func(_ context.Context, e *clustertest.Env) error { return e.Kafka.Start() }}
}

func runScenario(t *testing.T, sc scenario) {
	pol, err := filepath.Abs(filepath.Join("testdata", "policy.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	// JITGATE_FAULTTEST_LOG_LEVEL=info (or debug, with franz-go's own
	// lines) and JITGATE_KEEP_LOGS=1 keep a run's story in the roles' logs.
	level := cmp.Or(os.Getenv("JITGATE_FAULTTEST_LOG_LEVEL"), "warn")
	e := clustertest.New(t, clustertest.Options{Wait: wait, LogLevel: level, Policy: pol, OwnBroker: sc.ownBroker,
		Replicas: map[cluster.Role]int{cluster.Decider: 2, cluster.Executor: 2}})
	setUpstream(t, e)
	// A slow upstream keeps a few calls in flight in the executors at any
	// time, so killing one leaves calls started and unfinished.
	e.Emulator.SetLatency(upstreamLatency)
	run := randomHex(t)
	l := &load{run: run, rate: sc.rate}
	var subjects []string
	for i := range 4 {
		sub := fmt.Sprintf("faulttest-%d", i)
		subjects = append(subjects, sub)
		l.agents = append(l.agents, newAgent(e.Endpoint(), e.Agent(t, sub, agentGroups...), wait))
	}
	a, stopApprover := startApprover(t, e, subjects)
	ctx, stop := context.WithCancel(context.Background())
	l.start(ctx)
	began := time.Now()
	time.Sleep(sc.warmup)
	for _, f := range sc.faults {
		f.injected = time.Now()
		if err := f.inject(context.Background(), e); err != nil {
			stop()
			stopApprover()
			t.Fatalf("%s: %v", f.name, err)
		}
		time.Sleep(f.down)
		hctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		err := f.heal(hctx, e)
		cancel()
		f.healed = time.Now()
		if err != nil {
			stop()
			stopApprover()
			t.Fatalf("%s: healing: %v", f.name, err)
		}
		t.Logf("%s at +%s, healed after %s", f.name, f.injected.Sub(began).Round(100*time.Millisecond), f.healed.Sub(f.injected).Round(100*time.Millisecond))
		time.Sleep(f.settle)
	}
	time.Sleep(sc.drain)
	stop()
	calls := l.wait()
	loadEnd := time.Now()
	stopApprover()
	if exited := e.Exited(); len(exited) > 0 {
		t.Errorf("processes ended by themselves during the run: %v", exited)
	}
	checkRun(t, e, calls, sc.faults, a, loadEnd)
}

// setUpstream creates the table and the bucket straight at the emulator,
// with the gateway's credentials.
func setUpstream(t *testing.T, e *clustertest.Env) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cfg := aws.Config{Region: "us-east-1", BaseEndpoint: aws.String(e.Emulator.URL),
		Credentials: aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) { return clustertest.Gateway, nil })}
	if _, err := dynamodb.NewFromConfig(cfg).CreateTable(ctx, &dynamodb.CreateTableInput{TableName: aws.String(table),
		AttributeDefinitions: []ddbtypes.AttributeDefinition{{AttributeName: aws.String("pk"), AttributeType: ddbtypes.ScalarAttributeTypeS}},
		KeySchema:            []ddbtypes.KeySchemaElement{{AttributeName: aws.String("pk"), KeyType: ddbtypes.KeyTypeHash}},
		BillingMode:          ddbtypes.BillingModePayPerRequest}); err != nil && !alreadyExists(err) {
		t.Fatalf("create table: %v", err)
	}
	// The emulator's state outlives a test: an earlier test of the package
	// may have made both already.
	if _, err := s3.NewFromConfig(cfg, func(o *s3.Options) { o.UsePathStyle = true }).CreateBucket(ctx,
		&s3.CreateBucketInput{Bucket: aws.String(bucket)}); err != nil && !alreadyExists(err) {
		t.Fatalf("create bucket: %v", err)
	}
	e.Emulator.Reset()
}

// Calls made while no broker answers are refused at once (the ingress
// notices within about a second: two failed pings 500 ms apart), so the
// agent's SDK can back off and retry, instead of waiting out --wait.
const (
	noticeBrokerDown = 3 * time.Second
	promptBound      = 2 * time.Second
)

// checkPromptWhileDown asserts that calls started while the broker was
// down, once the ingress could have noticed, were answered promptly: their
// median answer time is within promptBound.
func checkPromptWhileDown(t *testing.T, f *fault, calls []*call) []string {
	var took []time.Duration
	codes := map[string]int{}
	for _, c := range calls {
		if c.start.Before(f.injected.Add(noticeBrokerDown)) || !c.start.Before(f.healed) || c.end.IsZero() {
			continue
		}
		took = append(took, c.end.Sub(c.start))
		codes[cmp.Or(c.code, "ok")]++
	}
	if len(took) == 0 {
		return []string{fmt.Sprintf("%s: no call was made while the broker was down", f.name)}
	}
	slices.Sort(took)
	median := took[len(took)/2]
	t.Logf("%s: %d calls made while it was down, answered in p50 %s, max %s; answers %v", f.name, len(took),
		median.Round(time.Millisecond), took[len(took)-1].Round(time.Millisecond), codes)
	if median > promptBound {
		return []string{fmt.Sprintf("%s: calls made while the broker was down waited %s (median) for an answer; bound %s", f.name, median, promptBound)}
	}
	return nil
}

// alreadyExists reports the emulator's answer to creating a table or a
// bucket it has.
func alreadyExists(err error) bool {
	var api smithy.APIError
	if !errors.As(err, &api) {
		return false
	}
	switch api.ErrorCode() {
	case "ResourceInUseException", "BucketAlreadyOwnedByYou", "BucketAlreadyExists":
		return true
	}
	return false
}

func randomHex(t *testing.T) string {
	b := make([]byte, 4)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(b)
}

// checkRun asserts what the run must show: one terminal outcome per
// request in the log, at most one execution of each write (every other one
// reported outcome-unknown), no call started after its deadline, answers
// that are true, and gaps in successes within each fault's bound.
func checkRun(t *testing.T, e *clustertest.Env, calls []*call, faults []*fault, a *approver, loadEnd time.Time) {
	sort.Slice(calls, func(i, j int) bool { return calls[i].start.Before(calls[j].start) })
	byKey := map[string]*call{}
	var ok, failed int
	codes := map[string]int{}
	for _, c := range calls {
		byKey[c.key] = c
		if c.ok() {
			ok++
		} else {
			failed++
			code := c.code
			if code == "" {
				code = "no answer"
			}
			codes[c.kind.String()+" "+code]++
		}
	}
	t.Logf("load: %d calls, %d succeeded; failures by kind and code: %v", len(calls), ok, codes)

	// Gaps, from the load's own timestamps.
	var successes []time.Time
	for _, c := range calls {
		if c.ok() && c.kind != deleteItem && !c.kind.held() {
			successes = append(successes, c.end)
		}
	}
	slices.SortFunc(successes, func(a, b time.Time) int { return a.Compare(b) })
	for _, f := range faults {
		windowEnd := f.healed.Add(f.settle)
		gap := longestGap(successes, f.injected, windowEnd)
		t.Logf("%s: longest gap in successful calls %s (bound %s); healed %s after the fault, first success %s after the heal",
			f.name, gap.Round(10*time.Millisecond), f.gapBound, f.healed.Sub(f.injected).Round(10*time.Millisecond),
			firstAfter(successes, f.healed).Round(10*time.Millisecond))
		if f.gapBound > 0 && gap > f.gapBound {
			t.Errorf("%s: no call succeeded for %s (bound %s)", f.name, gap.Round(10*time.Millisecond), f.gapBound)
		}
		if f.resumeBound > 0 {
			first, after := firstAfter(successes, f.healed), longestGap(successes, f.healed, windowEnd)
			if first < 0 || first > f.resumeBound || after > f.resumeBound {
				t.Errorf("%s: the pipeline did not resume within %s of the heal: first success after %s, longest gap after the heal %s",
					f.name, f.resumeBound, first.Round(10*time.Millisecond), after.Round(10*time.Millisecond))
			}
		}
	}

	// The log: wait until every request has a terminal outcome or a
	// minute passes.
	cl, err := audit.Open(context.Background(), e.ClickHouse.Addr, "jitgate", "default", "")
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	var reqs map[string]*request
	deadline := time.Now().Add(time.Minute)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		reqs, err = readLog(ctx, cl)
		cancel()
		if err != nil {
			t.Fatal(err)
		}
		open := 0
		for _, r := range reqs {
			if r.key != "" && len(r.terminals) == 0 {
				open++
			}
		}
		if open == 0 || time.Now().After(deadline) {
			break
		}
		time.Sleep(time.Second)
	}
	t.Logf("log read %s after the load ended", time.Since(loadEnd).Round(100*time.Millisecond))
	checkOnce(t, cl)
	counts := upstreamCounts(e.Emulator.Requests())
	inLog := map[string]*request{}
	outcomes := map[string]int{}
	var problems []string
	report := func(format string, args ...any) { problems = append(problems, fmt.Sprintf(format, args...)) }
	for _, f := range faults {
		if f.brokerDown {
			problems = append(problems, checkPromptWhileDown(t, f, calls)...)
		}
	}
	for _, r := range reqs {
		if r.key == "" {
			continue // not the load's (none expected)
		}
		c := byKey[r.key]
		if c == nil {
			report("request %s names key %s, which the load never used", r.id, r.key)
			continue
		}
		if prev := inLog[r.key]; prev != nil {
			report("%s %s reached the log twice: requests %s and %s", c.kind, c.key, prev.id, r.id)
		}
		inLog[r.key] = r
		out, one := r.terminal()
		outcomes[c.kind.String()+" "+out]++
		if !one {
			report("%s %s (request %s): %s; the agent saw status %d %s %v; its events: %s", c.kind, c.key, r.id, out, c.status, c.code, c.err,
				timeline(cl, r.id))
			continue
		}
		for _, s := range r.started {
			if !s.at.Before(r.deadline) || (!s.deadline.IsZero() && !s.at.Before(s.deadline)) {
				report("%s %s (request %s): attempt %d started at %s, after its deadline %s", c.kind, c.key, r.id,
					s.attempt, s.at.Format(time.RFC3339Nano), r.deadline.Format(time.RFC3339Nano))
			}
		}
		switch c.kind {
		case deleteItem:
			if out != "denied" {
				report("denied call %s (request %s) ended %q", c.key, r.id, out)
			}
		case getItem:
			if c.ok() && out != "executed" {
				report("GetItem %s (request %s) answered the agent but the log says %q", c.key, r.id, out)
			}
		}
		if c.requestID != "" && c.requestID != r.id {
			report("%s %s: the agent was told request %s, the log has %s", c.kind, c.key, c.requestID, r.id)
		}
	}
	// Every call the agent got an answer for is in the log; and the writes.
	for _, c := range calls {
		r := inLog[c.key]
		if r == nil && c.requestID != "" && !refusedAtTheDoor(c) && !unconfirmedPublish(c, reqs[c.requestID]) {
			report("%s %s: the agent got request id %s (status %d %s), which has no request.received in the log", c.kind, c.key, c.requestID, c.status, c.code)
		}
		if c.kind.held() {
			problems = append(problems, checkHeld(c, r, counts[c.kind.op()+" "+c.key])...)
			continue
		}
		if c.kind != putItem && c.kind != putObject {
			if n := counts["DeleteItem "+c.key]; c.kind == deleteItem && n > 0 {
				report("denied DeleteItem %s reached the upstream %d times", c.key, n)
			}
			continue
		}
		n := counts[c.kind.String()+" "+c.key]
		out := ""
		if r != nil {
			out, _ = r.terminal()
		}
		switch {
		case n > 1:
			report("%s %s (request %v) executed %d times upstream", c.kind, c.key, reqID(r), n)
		case n == 1 && r == nil:
			report("%s %s executed upstream but has no request in the log", c.kind, c.key)
		case n == 1 && out != "executed" && out != "unknown":
			report("%s %s (request %s) executed upstream, but its outcome is %q (%s)", c.kind, c.key, r.id, out, r.finErr)
		case n == 0 && out == "executed":
			report("%s %s (request %s) has outcome executed but never reached the upstream", c.kind, c.key, r.id)
		case n == 0 && r != nil && len(r.started) > 0 && out != "unknown":
			report("%s %s (request %s) started but never reached the upstream, and ends %q (%s), not unknown", c.kind, c.key, r.id, out, r.finErr)
		}
		// What the agent was told must be true.
		if c.ok() && n != 1 {
			report("%s %s (request %s): the agent was told it succeeded; the upstream ran it %d times", c.kind, c.key, c.requestID, n)
		}
		if !c.ok() && c.status != 0 && c.code != "OutcomeUnknown" && n > 0 {
			report("%s %s (request %s): the agent got %d %s (%v), which says it did not run, but it ran", c.kind, c.key, c.requestID, c.status, c.code, c.err)
		}
	}
	problems = append(problems, checkRefusals(t, e, calls, inLog, reqs)...)
	t.Logf("log: %d requests of the load; outcomes by kind: %v", len(inLog), outcomes)
	problems = append(problems, a.check(t)...)
	if late := a.lateApprovals(reqs); late > 0 {
		t.Logf("approver: %d approvals the ingress accepted ended expired (the hold expired before the decider acted on the approval)", late)
	}
	if len(problems) > 0 {
		sort.Strings(problems)
		if len(problems) > 40 {
			problems = append(problems[:40], fmt.Sprintf("... and %d more", len(problems)-40))
		}
		t.Errorf("%d problems:\n%s", len(problems), strings.Join(problems, "\n"))
	}
}

// checkOnce asserts that ClickHouse holds every event once: the rows a
// query sees (FINAL) are as many as the distinct event ids.
func checkOnce(t *testing.T, cl *audit.Client) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	_, rows, err := cl.Query(ctx, "SELECT count(), uniqExact(event_id) FROM jitgate.events FINAL")
	if err != nil {
		t.Fatal(err)
	}
	if rows[0][0] != rows[0][1] {
		t.Errorf("ClickHouse: %s rows but %s distinct events", rows[0][0], rows[0][1])
	}
	t.Logf("ClickHouse: %s events, each once", rows[0][1])
}

// refusedAtTheDoor reports an answer the ingress gives before it publishes
// the request: throttled (too many calls in flight) or the broker
// unreachable. Nothing ran; the agent may retry. Such a call is in the log
// as a request.refused, not a request.received (checkRefusals).
func refusedAtTheDoor(c *call) bool {
	switch c.code {
	case "ThrottlingException", "SlowDown", "RequestLimitExceeded", "ServiceUnavailable":
		return true
	}
	return false
}

// unconfirmedPublish reports a call whose publish the ingress could not
// confirm before the agent's wait ran out: the agent was told its outcome
// is unknown (or, for a read, to retry), and when the broker did not take
// the request after all, the log holds only its request.refused.
func unconfirmedPublish(c *call, r *request) bool {
	return (c.code == "OutcomeUnknown" || c.code == "RequestTimeout") && r != nil && len(r.refusals) > 0
}

// timeline lists a request's events for a failure message.
func timeline(cl *audit.Client, id string) string {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	evs, err := cl.Timeline(ctx, id)
	if err != nil {
		return err.Error()
	}
	var b strings.Builder
	for _, ev := range evs {
		fmt.Fprintf(&b, "[%s %s by %s at %s %s[%d]@%d %s] ", ev.Type, ev.Outcome, ev.Producer, ev.Time.Format("15:04:05.000"),
			ev.Topic, ev.Partition, ev.Offset, ev.Reason)
	}
	return b.String()
}

func reqID(r *request) string {
	if r == nil {
		return "none"
	}
	return r.id
}

// firstAfter is how long after at the first success came (-1 if none did).
func firstAfter(successes []time.Time, at time.Time) time.Duration {
	for _, s := range successes {
		if s.After(at) {
			return s.Sub(at)
		}
	}
	return -1
}

// longestGap is the longest time without a success in the window
// [from, to], counting from the last success before from (a gap the fault
// opened started there) and cut at to (the next fault's window begins
// there, and a gap running on is counted in it).
func longestGap(successes []time.Time, from, to time.Time) time.Duration {
	prev := from
	for _, s := range successes {
		if !s.After(from) {
			prev = s
		}
	}
	var gap time.Duration
	for _, s := range successes {
		if !s.After(from) {
			continue
		}
		if s.After(to) {
			break
		}
		gap = max(gap, s.Sub(prev))
		prev = s
	}
	return max(gap, to.Sub(prev))
}
