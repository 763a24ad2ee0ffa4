package bus

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"os"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
	"github.com/twmb/franz-go/pkg/kversion"

	"github.com/jitgate/jitgate/schemas"
)

// Broker faults injected with kfake's fault hooks into a running stage, in
// both deliveries: a failed produce (retriable, answered after the write,
// and not retriable), a failed EndTxn, a failed AddOffsetsToTxn or
// TxnOffsetCommit (or, idempotent, OffsetCommit), and a rebalance while a
// batch's handler runs (a second member joins, the coordinator answers a
// heartbeat with REBALANCE_IN_PROGRESS, an operator removes the member).
//
// What a read_committed reader of the output topics sees is checked, by
// event id: every input's outputs, none lost; in the transactional mode
// each exactly once, in the idempotent mode at least once (a duplicate is
// the same event: same id). Every input's follow-up (After, the
// executor's upstream call) runs exactly once in both. Afterwards the
// stage keeps flowing: a second wave of inputs is answered the same way,
// by the same RunStage call.
func TestStageUnderBrokerFaults(t *testing.T) {
	for _, m := range stageModes {
		for _, c := range brokerFaults {
			if (m.idempotent && !c.idempotent) || (!m.idempotent && !c.transactional) {
				continue
			}
			t.Run(m.name+"/"+c.name, func(t *testing.T) { runBrokerFault(t, c, m.idempotent) })
		}
	}
}

// brokerFault is one fault scenario.
type brokerFault struct {
	name string
	// The deliveries the fault applies to (EndTxn exists only in the
	// transactional one).
	transactional, idempotent bool
	// kafka39 runs the broker with Kafka 3.9's request versions: before
	// KIP-890 part 2 franz-go adds partitions (AddPartitionsToTxn) and the
	// group (AddOffsetsToTxn) to a transaction with requests of their
	// own, which newer brokers fold into Produce and TxnOffsetCommit.
	kafka39 bool
	// stall bounds how long the first wave may take once the fault is
	// released; default stallBound.
	stall time.Duration
	// faults, if set, are installed before the first wave of inputs.
	faults func(r *faultRig) []kfake.Fault
	// midBatch, if set, runs while the gated input's handler is blocked
	// (its batch is in hand: polled, not yet published); the handler
	// resumes when it returns. It returns the faults it installed, if
	// any.
	midBatch func(t *testing.T, r *faultRig) []*kfake.FaultHandle
}

// produceTo selects n of the stage's produce requests to its main output
// topic (the test's own publisher writes only to the input topic).
func produceTo(r *faultRig, err *kerr.Error, n int) []kfake.Fault {
	return []kfake.Fault{{Keys: []kmsg.Key{kmsg.Produce}, Topic: r.cfg.Topic(schemas.TopicResponses), Err: err, Count: n}}
}

// txnRequest selects n requests of key from the stage's transactional id.
func txnRequest(r *faultRig, key kmsg.Key, err *kerr.Error, n int) []kfake.Fault {
	return []kfake.Fault{{Keys: []kmsg.Key{key}, TxnID: r.group + "/i1", TopLevel: true, Err: err, Count: n}}
}

// groupRequest selects n requests of key for the stage's group.
func groupRequest(r *faultRig, key kmsg.Key, err *kerr.Error, n int) []kfake.Fault {
	return []kfake.Fault{{Keys: []kmsg.Key{key}, Group: r.group, Err: err, Count: n}}
}

var brokerFaults = []brokerFault{
	// franz-go answers NOT_LEADER_FOR_PARTITION with a metadata refresh,
	// which waits for MetadataMinAge (5 s by default) since the last one:
	// each such answer stalls the partition's produce that long.
	{name: "produce NOT_LEADER_FOR_PARTITION (retriable)", transactional: true, idempotent: true, stall: 5*time.Second + stallBound,
		faults: func(r *faultRig) []kfake.Fault { return produceTo(r, kerr.NotLeaderForPartition, 1) }},
	{name: "produce REQUEST_TIMED_OUT after the write (ack lost)", transactional: true, idempotent: true,
		faults: func(r *faultRig) []kfake.Fault { return produceTo(r, kerr.RequestTimedOut, 2) }},
	{name: "produce INVALID_RECORD (not retriable)", transactional: true, idempotent: true,
		faults: func(r *faultRig) []kfake.Fault { return produceTo(r, kerr.InvalidRecord, 1) }},
	{name: "produce UNKNOWN_SERVER_ERROR (not retriable)", transactional: true, idempotent: true,
		faults: func(r *faultRig) []kfake.Fault { return produceTo(r, kerr.UnknownServerError, 1) }},
	{name: "follow-up produce UNKNOWN_SERVER_ERROR (not retriable)", transactional: true,
		faults: func(r *faultRig) []kfake.Fault {
			// Only the follow-up producer writes outside a transaction.
			return []kfake.Fault{{Keys: []kmsg.Key{kmsg.Produce}, Topic: r.cfg.Topic(schemas.TopicExecutions), Err: kerr.UnknownServerError, Count: 1,
				When: func(req kmsg.Request) bool { return req.(*kmsg.ProduceRequest).TransactionID == nil }}}
		}},
	{name: "EndTxn CONCURRENT_TRANSACTIONS (retriable)", transactional: true,
		faults: func(r *faultRig) []kfake.Fault { return txnRequest(r, kmsg.EndTxn, kerr.ConcurrentTransactions, 2) }},
	{name: "EndTxn connection dropped before the broker reads it", transactional: true,
		faults: func(r *faultRig) []kfake.Fault {
			// A control answers one EndTxn by closing the connection.
			r.broker.c.ControlKey(int16(kmsg.EndTxn), func(kmsg.Request) (kmsg.Response, error, bool) {
				r.controlled.Add(1)
				return nil, errors.New("connection dropped by the test"), true
			})
			return nil
		}},
	{name: "EndTxn NOT_COORDINATOR", transactional: true,
		faults: func(r *faultRig) []kfake.Fault { return txnRequest(r, kmsg.EndTxn, kerr.NotCoordinator, 1) }},
	{name: "EndTxn UNKNOWN_SERVER_ERROR (outcome unconfirmed)", transactional: true,
		faults: func(r *faultRig) []kfake.Fault { return txnRequest(r, kmsg.EndTxn, kerr.UnknownServerError, 1) }},
	{name: "EndTxn INVALID_TXN_STATE (not retriable)", transactional: true,
		faults: func(r *faultRig) []kfake.Fault { return txnRequest(r, kmsg.EndTxn, kerr.InvalidTxnState, 1) }},
	{name: "Kafka 3.9: AddOffsetsToTxn COORDINATOR_NOT_AVAILABLE", transactional: true, kafka39: true,
		faults: func(r *faultRig) []kfake.Fault {
			return txnRequest(r, kmsg.AddOffsetsToTxn, kerr.CoordinatorNotAvailable, 2)
		}},
	{name: "Kafka 3.9: AddOffsetsToTxn UNKNOWN_SERVER_ERROR", transactional: true, kafka39: true,
		faults: func(r *faultRig) []kfake.Fault {
			return txnRequest(r, kmsg.AddOffsetsToTxn, kerr.UnknownServerError, 1)
		}},
	{name: "Kafka 3.9: AddOffsetsToTxn INVALID_TXN_STATE (not retriable)", transactional: true, kafka39: true,
		faults: func(r *faultRig) []kfake.Fault { return txnRequest(r, kmsg.AddOffsetsToTxn, kerr.InvalidTxnState, 1) }},
	{name: "Kafka 3.9: AddPartitionsToTxn CONCURRENT_TRANSACTIONS", transactional: true, kafka39: true,
		faults: func(r *faultRig) []kfake.Fault {
			return []kfake.Fault{{Keys: []kmsg.Key{kmsg.AddPartitionsToTxn}, TxnID: r.group + "/i1", Err: kerr.ConcurrentTransactions, Count: 2}}
		}},
	{name: "Kafka 3.9: EndTxn UNKNOWN_SERVER_ERROR (outcome unconfirmed)", transactional: true, kafka39: true,
		faults: func(r *faultRig) []kfake.Fault { return txnRequest(r, kmsg.EndTxn, kerr.UnknownServerError, 1) }},
	{name: "Kafka 3.9: EndTxn INVALID_TXN_STATE (not retriable)", transactional: true, kafka39: true,
		faults: func(r *faultRig) []kfake.Fault { return txnRequest(r, kmsg.EndTxn, kerr.InvalidTxnState, 1) }},
	{name: "Kafka 3.9: TxnOffsetCommit ILLEGAL_GENERATION", transactional: true, kafka39: true,
		faults: func(r *faultRig) []kfake.Fault {
			return groupRequest(r, kmsg.TxnOffsetCommit, kerr.IllegalGeneration, 1)
		}},
	{name: "TxnOffsetCommit ILLEGAL_GENERATION", transactional: true,
		faults: func(r *faultRig) []kfake.Fault {
			return groupRequest(r, kmsg.TxnOffsetCommit, kerr.IllegalGeneration, 1)
		}},
	{name: "TxnOffsetCommit REQUEST_TIMED_OUT after the write", transactional: true,
		faults: func(r *faultRig) []kfake.Fault { return groupRequest(r, kmsg.TxnOffsetCommit, kerr.RequestTimedOut, 1) }},
	{name: "OffsetCommit REBALANCE_IN_PROGRESS", idempotent: true,
		faults: func(r *faultRig) []kfake.Fault {
			return groupRequest(r, kmsg.OffsetCommit, kerr.RebalanceInProgress, 1)
		}},
	{name: "OffsetCommit REQUEST_TIMED_OUT after the write", idempotent: true,
		faults: func(r *faultRig) []kfake.Fault { return groupRequest(r, kmsg.OffsetCommit, kerr.RequestTimedOut, 1) }},
	{name: "OffsetCommit UNKNOWN_MEMBER_ID", idempotent: true,
		faults: func(r *faultRig) []kfake.Fault { return groupRequest(r, kmsg.OffsetCommit, kerr.UnknownMemberID, 1) }},
	{name: "rebalance mid-batch: a second member joins", transactional: true, idempotent: true,
		midBatch: func(t *testing.T, r *faultRig) []*kfake.FaultHandle {
			joined := r.broker.c.Fault(kfake.Fault{Keys: []kmsg.Key{kmsg.JoinGroup}, Group: r.group, Observe: true, Count: -1,
				When: func(req kmsg.Request) bool {
					id := req.(*kmsg.JoinGroupRequest).InstanceID
					return id != nil && *id == "i2"
				}})
			r.start("i2")
			r.wait(t, "the second member's JoinGroup", joined, 1)
			// Let the first member hear of the rebalance (it heartbeats
			// every second) while its batch is still in hand.
			time.Sleep(2 * HeartbeatInterval)
			return []*kfake.FaultHandle{joined}
		}},
	{name: "rebalance mid-batch: heartbeat REBALANCE_IN_PROGRESS", transactional: true, idempotent: true,
		midBatch: func(t *testing.T, r *faultRig) []*kfake.FaultHandle {
			h := r.broker.c.Fault(kfake.Fault{Keys: []kmsg.Key{kmsg.Heartbeat}, Group: r.group, TopLevel: true,
				Err: kerr.RebalanceInProgress, Count: 1})
			r.wait(t, "the faulted heartbeat", h, 1)
			time.Sleep(HeartbeatInterval)
			return []*kfake.FaultHandle{h}
		}},
	{name: "rebalance mid-batch: the member is removed from the group", transactional: true, idempotent: true,
		midBatch: func(t *testing.T, r *faultRig) []*kfake.FaultHandle {
			beats := r.broker.c.Fault(kfake.Fault{Keys: []kmsg.Key{kmsg.Heartbeat}, Group: r.group, Observe: true, Count: -1})
			cl, err := kgo.NewClient(r.cfg.clientOpts()...)
			if err != nil {
				t.Fatal(err)
			}
			defer cl.Close()
			resps, err := kadm.NewClient(cl).LeaveGroup(r.ctx, kadm.LeaveGroup(r.group).InstanceIDs("i1").Reason("kicked by the test"))
			if err == nil {
				err = resps.Error()
			}
			if err != nil {
				t.Fatalf("remove the member: %v", err)
			}
			// Its next heartbeat learns it is no longer a member.
			r.wait(t, "a heartbeat after the removal", beats, 1)
			time.Sleep(HeartbeatInterval)
			return []*kfake.FaultHandle{beats}
		}},
}

// stallBound is the longest the first wave may take once its faults were
// released: under TransactionTimeout, which a transaction left open used to
// cost in full (the broker aborting it), with what margin a loaded
// two-core CI machine needs (6.5 s seen under `make test`).
const stallBound = TransactionTimeout - time.Second

// gateID is the input whose first handling blocks for midBatch.
const gateID = "w1-gate"

// faultRig is a stage on an embedded broker whose faults the test
// controls, and a read_committed reader of its outputs.
type faultRig struct {
	t          *testing.T
	ctx        context.Context
	cancel     context.CancelFunc
	broker     *Embedded
	cfg        Config
	group      string
	idempotent bool
	// outputs are the event ids read (read_committed) from the responses
	// and executions topics.
	responses, executions func() []string

	// controlled counts requests a control function answered.
	controlled atomic.Int32
	// hooks are given to every stage the rig starts.
	hooks []Hook
	// retryPause is the stages' RetryPause; default 20 ms.
	retryPause time.Duration
	// unstable, if set, refuses the group's stable offset fetches
	// (watchdog_test.go).
	unstable *kfake.FaultHandle

	mu     sync.Mutex
	afters map[string]int // request id -> follow-ups run
	stages map[string]chan error
	owned  map[string]*Owned
	// entered is closed when the gated input's handler first runs;
	// release, when closed, lets it go on.
	gateOnce         sync.Once
	entered, release chan struct{}
}

func newFaultRig(t *testing.T, idempotent, kafka39 bool) *faultRig {
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	opts := []kfake.Opt{kfake.NumBrokers(1)}
	if kafka39 {
		opts = append(opts, kfake.MaxVersions(kversion.V3_9_0()))
	}
	c, err := kfake.NewCluster(opts...)
	if err != nil {
		t.Fatal(err)
	}
	broker := &Embedded{c: c}
	t.Cleanup(broker.Close)
	r := &faultRig{t: t, ctx: ctx, cancel: cancel, broker: broker, cfg: testConfig(t, broker.Addrs()), group: testGroup(t), idempotent: idempotent,
		afters: map[string]int{}, stages: map[string]chan error{}, owned: map[string]*Owned{},
		entered: make(chan struct{}), release: make(chan struct{})}
	r.responses = tailIDs(t, ctx, r.cfg, schemas.TopicResponses)
	r.executions = tailIDs(t, ctx, r.cfg, schemas.TopicExecutions)
	return r
}

// handler answers each input with two outputs on two topics (a reply and
// a start, ids derived from the input's) and a follow-up that counts its
// runs and publishes a third event, as the executor's call does.
func (r *faultRig) handler(ctx context.Context, m Message) (Result, error) {
	id := m.Envelope.RequestID
	if id == gateID {
		r.gateOnce.Do(func() {
			close(r.entered)
			<-r.release
		})
	}
	out := func(topic, role string, p schemas.Payload) (Output, error) {
		env, err := schemas.NewEnvelope(id+"/"+role, id, "test", m.Envelope.Time, p)
		return Output{Topic: topic, Key: id, Envelope: env}, err
	}
	reply, err := out(schemas.TopicResponses, "reply", &schemas.ResponseReady{Outcome: schemas.OutcomeDenied})
	if err != nil {
		return Result{}, err
	}
	started, err := out(schemas.TopicExecutions, "started", &schemas.ExecutionStarted{Attempt: 1})
	if err != nil {
		return Result{}, err
	}
	return Result{Out: []Output{reply, started}, After: func(context.Context) []Output {
		r.mu.Lock()
		r.afters[id]++
		r.mu.Unlock()
		fin, err := out(schemas.TopicExecutions, "after", &schemas.ExecutionFinished{})
		if err != nil {
			return nil
		}
		return []Output{fin}
	}}, nil
}

// start runs a stage member with instance.
func (r *faultRig) start(instance string) {
	done, owned := make(chan error, 1), NewOwned()
	r.mu.Lock()
	r.stages[instance], r.owned[instance] = done, owned
	r.mu.Unlock()
	// JITGATE_FAULT_LOG=debug shows franz-go's own account of a run.
	level := slog.LevelWarn
	if os.Getenv("JITGATE_FAULT_LOG") == "debug" {
		level = slog.LevelDebug
	}
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level})).With("instance", instance)
	go func() {
		done <- RunStage(r.ctx, StageConfig{Bus: r.cfg, Group: r.group, Topics: []string{schemas.TopicRequests}, Instance: instance,
			Idempotent: r.idempotent, RetryPause: cmp.Or(r.retryPause, 20*time.Millisecond), Owned: owned, Logger: log, Hooks: r.hooks}, r.handler)
	}()
}

// wave publishes n inputs (and the gated one, if gate) and returns their
// request ids.
func (r *faultRig) wave(name string, n int, gate bool) []string {
	r.t.Helper()
	pub, err := NewPublisher(r.cfg)
	if err != nil {
		r.t.Fatal(err)
	}
	defer pub.Close()
	var ids []string
	var outs []Output
	if gate {
		ids = append(ids, gateID)
	}
	for i := range n {
		ids = append(ids, fmt.Sprintf("%s-%d", name, i))
	}
	for _, id := range ids {
		outs = append(outs, Output{Topic: schemas.TopicRequests, Key: id, Envelope: event(r.t, id, &schemas.RequestReceived{})})
	}
	if err := pub.Publish(r.ctx, outs...); err != nil {
		r.t.Fatal(err)
	}
	return ids
}

// wait waits for h's faults to have answered (or observed) n requests.
func (r *faultRig) wait(t *testing.T, what string, h *kfake.FaultHandle, n int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(r.ctx, 30*time.Second)
	defer cancel()
	if err := h.Wait(ctx, n); err != nil {
		t.Fatalf("timed out waiting for %s (%d of %d)", what, h.Hits(), n)
	}
}

// check waits until every input of ids has all three outputs, lets any
// duplicate show, and checks copies and follow-up runs.
func (r *faultRig) check(ids []string) {
	t := r.t
	t.Helper()
	counts := func() map[string]int {
		c := map[string]int{}
		for _, id := range slices.Concat(r.responses(), r.executions()) {
			c[id]++
		}
		return c
	}
	waitFor(t, "every input's outputs", func() bool {
		c := counts()
		for _, id := range ids {
			if c[id+"/reply"] == 0 || c[id+"/started"] == 0 || c[id+"/after"] == 0 {
				return false
			}
		}
		return true
	})
	time.Sleep(500 * time.Millisecond) // a late duplicate would show by now
	c := counts()
	r.mu.Lock()
	afters := maps.Clone(r.afters)
	r.mu.Unlock()
	for _, id := range ids {
		for _, role := range []string{"reply", "started"} {
			n := c[id+"/"+role]
			if n != 1 && !(r.idempotent && n > 1) {
				t.Errorf("%s/%s read %d times by a read_committed reader, want once", id, role, n)
			}
		}
		if n := c[id+"/after"]; n != 1 {
			t.Errorf("%s's follow-up published %d times, want once", id, n)
		}
		if n := afters[id]; n != 1 {
			t.Errorf("%s's follow-up ran %d times, want once", id, n)
		}
	}
}

func runBrokerFault(t *testing.T, c brokerFault, idempotent bool) {
	r := newFaultRig(t, idempotent, c.kafka39)
	var handles []*kfake.FaultHandle
	if c.faults != nil {
		if fs := c.faults(r); len(fs) > 0 {
			handles = append(handles, r.broker.c.Fault(fs...))
		}
	}
	r.start("i1")
	first := r.wave("w1", 12, c.midBatch != nil)
	if c.midBatch != nil {
		select {
		case <-r.entered:
		case <-time.After(30 * time.Second):
			t.Fatal("the gated input was never handled")
		}
		handles = append(handles, c.midBatch(t, r)...)
		close(r.release)
	}
	begin := time.Now()
	r.check(first)
	// Nothing may stall for the transaction timeout: a transaction left
	// open on the broker blocks the group's offsets (UNSTABLE_OFFSET_COMMIT)
	// until its producer id is initialized again or the broker times it
	// out (transact.go).
	bound := cmp.Or(c.stall, stallBound)
	if took := time.Since(begin); took > bound {
		t.Errorf("the first wave took %v after the fault, more than %v", took.Round(time.Millisecond), bound)
	}
	if len(handles) == 0 && c.midBatch == nil && r.controlled.Load() == 0 {
		t.Fatal("the control function never answered a request: the run proves nothing")
	}
	for _, h := range handles {
		if h.Hits() == 0 {
			t.Fatalf("the fault was never hit: the run proves nothing")
		}
		h.Remove()
	}
	// The loop keeps flowing after the fault.
	r.check(r.wave("w2", 12, false))

	r.mu.Lock()
	stages := maps.Clone(r.stages)
	r.mu.Unlock()
	for instance, done := range stages {
		select {
		case err := <-done:
			t.Fatalf("stage %s stopped by itself: %v", instance, err)
		default:
		}
	}
	if c.midBatch != nil && len(stages) > 1 {
		waitFor(t, "the members to share the partitions", func() bool {
			return r.owned["i1"].Count() > 0 && r.owned["i2"].Count() > 0
		})
	}
	r.cancel()
	for instance, done := range stages {
		if err := <-done; err != nil {
			t.Errorf("stage %s: RunStage: %v", instance, err)
		}
	}
}
