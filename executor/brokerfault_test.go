package executor

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/jitgate/jitgate/internal/awsemu"
	"github.com/jitgate/jitgate/internal/bus"
	"github.com/jitgate/jitgate/schemas"
)

// TestExecutorUnderBrokerFaults injects broker faults with kfake's fault
// and control hooks around execution.started (written in the transaction
// that commits the decision) and execution.finished (written by the
// follow-up producer after the call): failed produces, failed EndTxn and
// TxnOffsetCommit, and a rebalance while a batch's transaction is in hand.
// The upstream is the emulator behind its call-counting shim, and every
// call is a PutObject of a key of its own (not read-only, so never
// retried). Checked for every request: the shim saw its PutObject exactly
// once (no double execution); a read_committed reader of the executions
// topic sees one execution.started and one execution.finished, a success
// (no lost event, and nothing for recovery to end as outcome-unknown:
// every process stayed alive). Afterwards the executor keeps going.
func TestExecutorUnderBrokerFaults(t *testing.T) {
	emu, err := awsemu.Start(gatewayCreds, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(emu.Close)
	for _, c := range executorFaults {
		t.Run(c.name, func(t *testing.T) { runExecutorFault(t, emu, c) })
	}
}

type executorFault struct {
	name string
	// faults, if set, are installed once the executor is warm.
	faults func(r *execRig) []kfake.Fault
	// midBatch, if set, runs while the first transactional produce of
	// the first wave (a batch's execution.started) is held by the
	// broker; the produce goes on when it returns.
	midBatch func(t *testing.T, r *execRig) []*kfake.FaultHandle
	// latency, if set, holds every upstream call that long, and
	// inFlight runs once a first-wave call has reached the upstream: the
	// fault then meets calls whose execution.started is committed and
	// whose execution.finished is not written yet.
	latency  time.Duration
	inFlight func(t *testing.T, r *execRig) []*kfake.FaultHandle
	// stall bounds how long the first wave may take once the fault is
	// released (default 5 s).
	stall time.Duration
}

// produceExec selects n produce requests to the executions topic, from
// the stage's transaction (execution.started) and from its follow-up
// producer (execution.finished) alike.
func produceExec(r *execRig, err *kerr.Error, n int) []kfake.Fault {
	return []kfake.Fault{{Keys: []kmsg.Key{kmsg.Produce}, Topic: r.cfg.Topic(schemas.TopicExecutions), Err: err, Count: n}}
}

// finishedOnly selects produce requests that carry no transaction: the
// follow-up producer's execution.finished.
func finishedOnly(req kmsg.Request) bool { return req.(*kmsg.ProduceRequest).TransactionID == nil }

var executorFaults = []executorFault{
	{name: "produce NOT_LEADER_FOR_PARTITION", stall: 5*time.Second + 5*time.Second,
		faults: func(r *execRig) []kfake.Fault { return produceExec(r, kerr.NotLeaderForPartition, 1) }},
	{name: "produce REQUEST_TIMED_OUT after the write (ack lost)",
		faults: func(r *execRig) []kfake.Fault { return produceExec(r, kerr.RequestTimedOut, 2) }},
	{name: "produce INVALID_RECORD (not retriable)",
		faults: func(r *execRig) []kfake.Fault { return produceExec(r, kerr.InvalidRecord, 1) }},
	{name: "execution.finished produce REQUEST_TIMED_OUT after the write",
		faults: func(r *execRig) []kfake.Fault {
			f := produceExec(r, kerr.RequestTimedOut, 2)
			f[0].When = finishedOnly
			return f
		}},
	{name: "execution.finished produce UNKNOWN_SERVER_ERROR (not retriable)",
		faults: func(r *execRig) []kfake.Fault {
			f := produceExec(r, kerr.UnknownServerError, 1)
			f[0].When = finishedOnly
			return f
		}},
	{name: "EndTxn CONCURRENT_TRANSACTIONS",
		faults: func(r *execRig) []kfake.Fault { return r.txn(kmsg.EndTxn, kerr.ConcurrentTransactions, 2) }},
	{name: "EndTxn UNKNOWN_SERVER_ERROR (outcome unconfirmed)",
		faults: func(r *execRig) []kfake.Fault { return r.txn(kmsg.EndTxn, kerr.UnknownServerError, 1) }},
	{name: "EndTxn INVALID_TXN_STATE (not retriable)",
		faults: func(r *execRig) []kfake.Fault { return r.txn(kmsg.EndTxn, kerr.InvalidTxnState, 1) }},
	{name: "TxnOffsetCommit ILLEGAL_GENERATION",
		faults: func(r *execRig) []kfake.Fault {
			return []kfake.Fault{{Keys: []kmsg.Key{kmsg.TxnOffsetCommit}, Group: r.group, Err: kerr.IllegalGeneration, Count: 1}}
		}},
	{name: "rebalance mid-batch: a second executor joins",
		midBatch: func(t *testing.T, r *execRig) []*kfake.FaultHandle {
			joined := r.c.Fault(kfake.Fault{Keys: []kmsg.Key{kmsg.JoinGroup}, Group: r.group, Observe: true, Count: -1,
				When: func(req kmsg.Request) bool {
					id := req.(*kmsg.JoinGroupRequest).InstanceID
					return id != nil && *id == "x2"
				}})
			r.start("x2")
			r.wait(t, "the second executor's JoinGroup", joined, 1)
			time.Sleep(2 * bus.HeartbeatInterval) // the first hears of the rebalance
			return []*kfake.FaultHandle{joined}
		}},
	{name: "rebalance while calls run upstream: a second executor joins", latency: 2 * time.Second, stall: 10 * time.Second,
		inFlight: func(t *testing.T, r *execRig) []*kfake.FaultHandle {
			// The new owner of a partition must neither run those
			// calls again nor end them as outcome-unknown: their
			// executor is alive and finishes them.
			joined := r.c.Fault(kfake.Fault{Keys: []kmsg.Key{kmsg.SyncGroup}, Group: r.group, Observe: true, Count: -1,
				When: func(req kmsg.Request) bool {
					id := req.(*kmsg.SyncGroupRequest).InstanceID
					return id != nil && *id == "x2"
				}})
			r.start("x2")
			r.wait(t, "the second executor's SyncGroup", joined, 1)
			return []*kfake.FaultHandle{joined}
		}},
	{name: "rebalance mid-batch: heartbeat REBALANCE_IN_PROGRESS",
		midBatch: func(t *testing.T, r *execRig) []*kfake.FaultHandle {
			h := r.c.Fault(kfake.Fault{Keys: []kmsg.Key{kmsg.Heartbeat}, Group: r.group, TopLevel: true, Err: kerr.RebalanceInProgress, Count: 1})
			r.wait(t, "the faulted heartbeat", h, 1)
			time.Sleep(bus.HeartbeatInterval)
			return []*kfake.FaultHandle{h}
		}},
	{name: "rebalance mid-batch: the executor is removed from the group",
		midBatch: func(t *testing.T, r *execRig) []*kfake.FaultHandle {
			beats := r.c.Fault(kfake.Fault{Keys: []kmsg.Key{kmsg.Heartbeat}, Group: r.group, Observe: true, Count: -1})
			cl, err := kgo.NewClient(kgo.SeedBrokers(r.cfg.Brokers...))
			if err != nil {
				t.Fatal(err)
			}
			defer cl.Close()
			resps, err := kadm.NewClient(cl).LeaveGroup(r.ctx, kadm.LeaveGroup(r.group).InstanceIDs("x1").Reason("kicked by the test"))
			if err == nil {
				err = resps.Error()
			}
			if err != nil {
				t.Fatalf("remove the executor: %v", err)
			}
			r.wait(t, "a heartbeat after the removal", beats, 1)
			time.Sleep(bus.HeartbeatInterval)
			return []*kfake.FaultHandle{beats}
		}},
}

// execRig is executors on a broker whose faults the test controls.
type execRig struct {
	t      *testing.T
	ctx    context.Context
	c      *kfake.Cluster
	cfg    bus.Config
	group  string
	emu    *awsemu.Emulator
	bucket string
	execs  *events
	pub    *bus.Publisher
	runs   map[string]*execRun
	// held counts the transactional produces a control function held.
	held atomic.Int32
}

func newExecRig(t *testing.T, emu *awsemu.Emulator) *execRig {
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	c, err := kfake.NewCluster(kfake.NumBrokers(1))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	cfg := bus.Config{Brokers: c.ListenAddrs(), Prefix: fmt.Sprintf("t%d.", time.Now().UnixNano()), Partitions: 3}
	if err := bus.EnsureTopics(ctx, cfg); err != nil {
		t.Fatal(err)
	}
	pub, err := bus.NewPublisher(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pub.Close)
	execs, stop := tail(t, ctx, cfg, schemas.TopicExecutions)
	t.Cleanup(stop)
	return &execRig{t: t, ctx: ctx, c: c, cfg: cfg, group: cfg.GroupName("executor"), emu: emu,
		bucket: fmt.Sprintf("fault-%d", time.Now().UnixNano()), execs: execs, pub: pub, runs: map[string]*execRun{}}
}

// txn selects n requests of key from x1's transactional id.
func (r *execRig) txn(key kmsg.Key, err *kerr.Error, n int) []kfake.Fault {
	return []kfake.Fault{{Keys: []kmsg.Key{key}, TxnID: r.group + "/x1", TopLevel: true, Err: err, Count: n}}
}

// execRun is one running executor process.
type execRun struct {
	cancel context.CancelFunc
	done   chan error
}

// start runs an executor replica.
func (r *execRig) start(instance string) {
	e, err := New(Config{Bus: r.cfg, Instance: instance, DecisionKey: decisionKey, Upstream: r.emu.URL},
		Deps{Credentials: staticCreds(gatewayCreds), HTTPClient: &http.Client{}})
	if err != nil {
		r.t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(r.ctx)
	run := &execRun{cancel: cancel, done: make(chan error, 1)}
	r.runs[instance] = run
	go func() { run.done <- e.Run(ctx) }()
}

// decide publishes an allow of req for request id, sealed as a decider
// seals it.
func (r *execRig) decide(id string, req schemas.RequestReceived) {
	r.t.Helper()
	d := sealed(r.t, schemas.Allow, req, nil)
	if err := r.pub.Publish(r.ctx, bus.Output{Topic: schemas.TopicDecisions, Envelope: envelope(r.t, id, "decision", d)}); err != nil {
		r.t.Fatal(err)
	}
}

// wave decides n PutObject calls of keys of their own and returns their
// request ids.
func (r *execRig) wave(name string, n int) []string {
	r.t.Helper()
	var ids []string
	for i := range n {
		id := fmt.Sprintf("%s-%d", name, i)
		put := s3Request("PUT", "/"+r.bucket+"/"+id, "Content-Type", "text/plain")
		put.HTTP.Body, put.HTTP.BodySize = []byte(id), int64(len(id))
		r.decide(id, put)
		ids = append(ids, id)
	}
	return ids
}

func (r *execRig) wait(t *testing.T, what string, h *kfake.FaultHandle, n int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(r.ctx, 30*time.Second)
	defer cancel()
	if err := h.Wait(ctx, n); err != nil {
		t.Fatalf("timed out waiting for %s (%d of %d)", what, h.Hits(), n)
	}
}

// holdFirstStart makes the broker hold x1's next transactional produce
// (a batch's execution.started) until release is closed, and returns a
// channel closed once it holds it.
func (r *execRig) holdFirstStart(release <-chan struct{}) <-chan struct{} {
	holding := make(chan struct{})
	txnID := r.group + "/x1"
	r.c.ControlKey(int16(kmsg.Produce), func(req kmsg.Request) (kmsg.Response, error, bool) {
		p := req.(*kmsg.ProduceRequest)
		if p.TransactionID == nil || *p.TransactionID != txnID {
			return nil, nil, false
		}
		r.c.DropControl()
		if r.held.Add(1) == 1 {
			close(holding)
			r.c.SleepControl(func() { <-release })
		}
		return nil, nil, false // then the broker writes it as usual
	})
	return holding
}

// puts counts the PutObject calls the shim let through, per key.
func (r *execRig) puts() map[string]int {
	puts := map[string]int{}
	for _, s := range r.emu.Requests() {
		if s.Method == http.MethodPut && strings.HasPrefix(s.Path, "/"+r.bucket+"/") {
			puts[strings.TrimPrefix(s.Path, "/"+r.bucket+"/")]++
		}
	}
	return puts
}

// putsOf counts the calls of ids that reached the upstream.
func (r *execRig) putsOf(ids []string) int {
	puts, n := r.puts(), 0
	for _, id := range ids {
		n += puts[id]
	}
	return n
}

// check waits until every request of ids has its execution.finished, lets
// duplicates show, and checks each request's events and upstream calls.
func (r *execRig) check(ids []string) {
	t := r.t
	t.Helper()
	finished := func(id string) []schemas.Envelope {
		var out []schemas.Envelope
		for _, m := range r.execs.of(id) {
			if m.Envelope.Type == schemas.TypeExecutionFinished {
				out = append(out, m.Envelope)
			}
		}
		return out
	}
	waitFor(t, "every call's execution.finished", func() bool {
		for _, id := range ids {
			if len(finished(id)) == 0 {
				return false
			}
		}
		return true
	})
	time.Sleep(500 * time.Millisecond) // a late duplicate would show by now
	puts := r.puts()
	for _, id := range ids {
		if n := puts[id]; n != 1 {
			t.Errorf("%s: the upstream ran its PutObject %d times, want once", id, n)
		}
		started := 0
		for _, m := range r.execs.of(id) {
			if m.Envelope.Type == schemas.TypeExecutionStarted {
				started++
			}
		}
		if started != 1 {
			t.Errorf("%s: %d execution.started read, want one", id, started)
		}
		fins := finished(id)
		if len(fins) != 1 {
			t.Errorf("%s: %d execution.finished read, want one", id, len(fins))
			continue
		}
		fin, err := schemas.DecodeAs[*schemas.ExecutionFinished](fins[0])
		if err != nil {
			t.Fatal(err)
		}
		if fin.Error != "" || fin.Response.Status != http.StatusOK {
			t.Errorf("%s: ended with status %d, error %q (%s), want the upstream's answer", id, fin.Response.Status, fin.Error, fin.ErrorKind)
		}
	}
}

func runExecutorFault(t *testing.T, emu *awsemu.Emulator, c executorFault) {
	r := newExecRig(t, emu)
	r.start("x1")
	// Warm up (group joined, producers ready) and make the bucket.
	r.decide("create", s3Request("PUT", "/"+r.bucket))
	waitFor(t, "the bucket", func() bool { return len(r.execs.of("create")) >= 2 })

	if c.latency > 0 {
		r.emu.SetLatency(c.latency)
		defer r.emu.SetLatency(0)
	}
	var handles []*kfake.FaultHandle
	if c.faults != nil {
		handles = append(handles, r.c.Fault(c.faults(r)...))
	}
	release := make(chan struct{})
	var holding <-chan struct{}
	if c.midBatch != nil {
		holding = r.holdFirstStart(release)
	}
	first := r.wave("w1", 12)
	if c.midBatch != nil {
		select {
		case <-holding:
		case <-time.After(30 * time.Second):
			t.Fatal("no execution.started was produced")
		}
		handles = append(handles, c.midBatch(t, r)...)
	}
	close(release)
	if c.inFlight != nil {
		waitFor(t, "a call at the upstream", func() bool { return r.putsOf(first) > 0 })
		handles = append(handles, c.inFlight(t, r)...)
	}
	begin := time.Now()
	r.check(first)
	// Under the transaction timeout, which a transaction left open used to
	// cost in full, with the margin a loaded CI machine needs.
	bound := bus.TransactionTimeout - time.Second
	if c.stall > 0 {
		bound = c.stall
	}
	if took := time.Since(begin); took > bound {
		t.Errorf("the first wave took %v after the fault, more than %v", took.Round(time.Millisecond), bound)
	}
	for _, h := range handles {
		if h.Hits() == 0 {
			t.Fatal("the fault was never hit: the run proves nothing")
		}
		h.Remove()
	}
	r.check(r.wave("w2", 12))
	for instance, run := range r.runs {
		select {
		case err := <-run.done:
			t.Fatalf("executor %s stopped by itself: %v", instance, err)
		default:
		}
	}
	if err := errors.Join(r.stop()...); err != nil {
		t.Fatal(err)
	}
}

// stop stops the executors and returns what their Run returned.
func (r *execRig) stop() []error {
	var errs []error
	for instance := range r.runs {
		if err := r.stopOne(instance); err != nil {
			errs = append(errs, err)
		}
	}
	return errs
}

// stopOne stops one executor as SIGTERM does and returns what its Run
// returned.
func (r *execRig) stopOne(instance string) error {
	run := r.runs[instance]
	delete(r.runs, instance)
	run.cancel()
	if err := <-run.done; err != nil {
		return fmt.Errorf("executor %s: Run: %w", instance, err)
	}
	return nil
}

// TestExecutorEndsCallsWhoseFinishCannotBeWritten: the broker refuses
// every execution.finished (the follow-up producer's writes) while calls
// run, until the executor is stopped, so their outcomes are never
// written. The calls ran once. The executor restarted with the same
// instance finds them open, started by its predecessor, and ends each one
// exactly once as outcome-unknown (recover.go); none runs again.
func TestExecutorEndsCallsWhoseFinishCannotBeWritten(t *testing.T) {
	emu, err := awsemu.Start(gatewayCreds, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(emu.Close)
	r := newExecRig(t, emu)
	r.start("x1")
	r.decide("create", s3Request("PUT", "/"+r.bucket))
	waitFor(t, "the bucket", func() bool { return len(r.execs.of("create")) >= 2 })

	refuse := r.c.Fault(kfake.Fault{Keys: []kmsg.Key{kmsg.Produce}, Topic: r.cfg.Topic(schemas.TopicExecutions), Err: kerr.UnknownServerError,
		Count: -1, When: finishedOnly})
	ids := r.wave("w1", 6)
	waitFor(t, "every call at the upstream", func() bool { return r.putsOf(ids) == len(ids) })
	r.wait(t, "a refused execution.finished per call", refuse, len(ids))
	if err := r.stopOne("x1"); err != nil {
		t.Fatal(err)
	}
	refuse.Remove()
	for _, id := range ids {
		if n := len(r.execs.of(id)); n != 1 {
			t.Fatalf("%s: %d events before the restart, want execution.started only", id, n)
		}
	}

	r.start("x1")
	waitFor(t, "every call's outcome", func() bool {
		for _, id := range ids {
			if len(r.execs.of(id)) < 2 {
				return false
			}
		}
		return true
	})
	time.Sleep(3 * recoverEvery) // later recovery rounds must not end them again
	puts := r.puts()
	for _, id := range ids {
		if n := puts[id]; n != 1 {
			t.Errorf("%s: the upstream ran its PutObject %d times, want once", id, n)
		}
		ms := r.execs.of(id)
		if len(ms) != 2 || ms[1].Envelope.Type != schemas.TypeExecutionFinished {
			t.Errorf("%s: %d events, want execution.started and one execution.finished", id, len(ms))
			continue
		}
		fin, err := schemas.DecodeAs[*schemas.ExecutionFinished](ms[1].Envelope)
		if err != nil {
			t.Fatal(err)
		}
		if fin.ErrorKind != schemas.ErrorOutcomeUnknown {
			t.Errorf("%s: ended %q (%s), want outcome unknown", id, fin.ErrorKind, fin.Error)
		}
	}
	if err := errors.Join(r.stop()...); err != nil {
		t.Fatal(err)
	}
}
