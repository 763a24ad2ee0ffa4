package bus

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/jitgate/jitgate/schemas"
)

// watchBound is the watchdog's bound in these tests.
const watchBound = time.Second

// stallHook records the stalls a stage reports.
type stallHook struct {
	mu     sync.Mutex
	stalls []*StallError
}

func (h *stallHook) OnStall(_ string, err *StallError) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.stalls = append(h.stalls, err)
}

func (h *stallHook) get() []*StallError {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]*StallError(nil), h.stalls...)
}

// stallCase is a session that stops being served, made with kfake's
// control hooks.
type stallCase struct {
	name          string
	transactional bool
	idempotent    bool
	// stall makes the stage's session stop being served; it returns when
	// the fault is in place, and a function reporting whether it hit.
	stall func(t *testing.T, r *faultRig) (hit func() bool)
	// stalls is how many watchdog recoveries the case needs; unstable,
	// whether the watchdog must see UNSTABLE_OFFSET_COMMIT.
	stalls   int
	unstable bool
}

var stallCases = []stallCase{
	{
		// The broker takes the stage's next fetch of its input and never
		// answers it. franz-go gives up on it only after the fetch's max
		// wait plus its request timeout overhead (15 s).
		name: "a fetch the broker never answers", transactional: true, idempotent: true, stalls: 1,
		stall: func(t *testing.T, r *faultRig) func() bool {
			id := topicID(t, r, r.cfg.Topic(schemas.TopicRequests))
			held := make(chan struct{})
			var once sync.Once
			r.broker.c.ControlKey(int16(kmsg.Fetch), func(req kmsg.Request) (kmsg.Response, error, bool) {
				for _, ft := range req.(*kmsg.FetchRequest).Topics {
					if ft.Topic == r.cfg.Topic(schemas.TopicRequests) || ft.TopicID == id {
						once.Do(func() { close(held) })
						return nil, nil, true // no answer, ever
					}
				}
				// Not handled: the control stays for the next request
				// (KeepControl would keep it after it handled one too).
				return nil, nil, false
			})
			// The fetch in flight (a long poll) is answered first; wait
			// for the next one to be held before publishing.
			select {
			case <-held:
			case <-time.After(30 * time.Second):
				t.Fatal("the stage sent no fetch of its input")
			}
			return func() bool { return true }
		},
	},
	{
		// A transaction left open holds the group's offsets: the broker
		// answers the member's offset fetch (which requires stable
		// offsets) UNSTABLE_OFFSET_COMMIT until the stage's producer is
		// initialised again, which aborts it. The member is made to fetch
		// its offsets again by removing it from the group.
		name: "offsets UNSTABLE_OFFSET_COMMIT until the producer is initialised again", transactional: true, stalls: 1, unstable: true,
		stall: func(t *testing.T, r *faultRig) func() bool {
			stuck := holdOffsets(t, r)
			r.broker.c.ControlKey(int16(kmsg.InitProducerID), func(req kmsg.Request) (kmsg.Response, error, bool) {
				if id := req.(*kmsg.InitProducerIDRequest).TransactionalID; id != nil && *id == r.group+"/i1" {
					stuck.Store(false)
				}
				return nil, nil, false
			})
			return kickAndWait(t, r)
		},
	},
	{
		// The same, but only leaving the group clears it: the first
		// rebuild does not help, the second stall leaves the group.
		name: "offsets UNSTABLE_OFFSET_COMMIT until the member leaves the group", transactional: true, idempotent: true, stalls: 2, unstable: true,
		stall: func(t *testing.T, r *faultRig) func() bool {
			stuck := holdOffsets(t, r)
			hit := kickAndWait(t, r)
			r.broker.c.ControlKey(int16(kmsg.LeaveGroup), func(kmsg.Request) (kmsg.Response, error, bool) {
				stuck.Store(false)
				return nil, nil, false
			})
			return hit
		},
	},
}

// holdOffsets makes the broker answer the stage group's stable offset
// fetches UNSTABLE_OFFSET_COMMIT while the returned flag is set.
func holdOffsets(t *testing.T, r *faultRig) *atomic.Bool {
	var stuck atomic.Bool
	stuck.Store(true)
	h := r.broker.c.Fault(kfake.Fault{Keys: []kmsg.Key{kmsg.OffsetFetch}, Group: r.group, Err: kerr.UnstableOffsetCommit, Count: -1,
		When: func(req kmsg.Request) bool { return stuck.Load() && req.(*kmsg.OffsetFetchRequest).RequireStable }})
	t.Cleanup(h.Remove)
	r.unstable = h
	return &stuck
}

// kickAndWait removes the stage's member from the group (an operator's
// LeaveGroup) and waits until its rejoined session's offset fetch is
// refused.
func kickAndWait(t *testing.T, r *faultRig) func() bool {
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
	r.wait(t, "a refused offset fetch", r.unstable, 1)
	return func() bool { return r.unstable.Hits() > 0 }
}

// topicID is topic's id (fetch requests name topics by id).
func topicID(t *testing.T, r *faultRig, topic string) [16]byte {
	cl, err := kgo.NewClient(r.cfg.clientOpts()...)
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	td, err := kadm.NewClient(cl).ListTopics(r.ctx, topic)
	if err != nil {
		t.Fatal(err)
	}
	return td[topic].ID
}

// A stage whose session stops being served while records wait on its
// partitions recovers by itself within the watchdog's bound: the watchdog
// notices, logs and reports the stall (with UNSTABLE_OFFSET_COMMIT when
// that is the cause), and the stage rebuilds its client (and, when that
// did not help, leaves the group first). Every input still gets its
// outputs once and its follow-up runs once; the stage keeps flowing and
// never stops by itself. Without the watchdog the first case stalls 15 s
// (franz-go's own timeout), the others for ever.
func TestWatchdogRecoversAStalledStage(t *testing.T) {
	for _, m := range stageModes {
		for _, c := range stallCases {
			if (m.idempotent && !c.idempotent) || (!m.idempotent && !c.transactional) {
				continue
			}
			t.Run(m.name+"/"+c.name, func(t *testing.T) { runStall(t, c, m.idempotent) })
		}
	}
}

// stallRecovery bounds how long after a stall began a stage serves its
// partitions again: per stall, the bound (doubling), a tick of the
// watchdog (a quarter of the bound) before it first sees the lag and one
// after, and a second for its questions and the rebuild; plus what a
// loaded CI machine needs.
func stallRecovery(stalls int) time.Duration {
	var d time.Duration
	for i := range stalls {
		b := stallTimeout(watchBound, i)
		d += b + b/2 + time.Second
	}
	return d + 4*time.Second
}

func runStall(t *testing.T, c stallCase, idempotent bool) {
	r := newFaultRig(t, idempotent, false)
	r.cfg.StallTimeout = watchBound
	hook := &stallHook{}
	r.hooks = []Hook{hook}
	r.start("i1")
	r.check(r.wave("w1", 12, false))

	hit := c.stall(t, r)
	begin := time.Now()
	r.check(r.wave("w2", 12, false))
	took := time.Since(begin)
	if !hit() {
		t.Fatal("the fault never hit: the run proves nothing")
	}
	stalls := hook.get()
	t.Logf("served again %s after the stall began; stalls reported: %v", took.Round(10*time.Millisecond), stalls)
	if bound := stallRecovery(c.stalls); took > bound {
		t.Errorf("the second wave took %v, more than %v", took.Round(time.Millisecond), bound)
	}
	if len(stalls) < c.stalls {
		t.Fatalf("%d stalls reported, want %d", len(stalls), c.stalls)
	}
	for _, s := range stalls {
		if !errors.Is(s, ErrStalled) || len(s.Partitions) == 0 || s.For < watchBound {
			t.Errorf("stall report %+v: want ErrStalled, partitions, and at least %v", s, watchBound)
		}
	}
	if c.unstable && !stalls[0].Unstable {
		t.Errorf("the stall report does not name UNSTABLE_OFFSET_COMMIT: %v", stalls[0])
	}
	r.check(r.wave("w3", 12, false))
	r.stop()
}

// stop checks that no stage stopped by itself, stops them, and checks
// they stopped cleanly.
func (r *faultRig) stop() {
	t := r.t
	t.Helper()
	r.mu.Lock()
	defer r.mu.Unlock()
	for instance, done := range r.stages {
		select {
		case err := <-done:
			t.Fatalf("stage %s stopped by itself: %v", instance, err)
		default:
		}
	}
	r.cancel()
	for instance, done := range r.stages {
		if err := <-done; err != nil {
			t.Errorf("stage %s: RunStage: %v", instance, err)
		}
	}
}

// The watchdog counts only the loop's time with Kafka: a handler that
// waits (ErrNotReady) or fails and is retried, and follow-ups that hold
// every slot, each for several times the bound while records wait, are
// not stalls.
func TestWatchdogIgnoresHandlerTime(t *testing.T) {
	cases := []struct {
		name    string
		handler func(until time.Time) Handler
	}{
		{"handler not ready", func(until time.Time) Handler {
			return func(context.Context, Message) (Result, error) {
				if time.Now().Before(until) {
					return Result{}, ErrNotReady
				}
				return Result{}, nil
			}
		}},
		{"handler failing", func(until time.Time) Handler {
			return func(context.Context, Message) (Result, error) {
				if time.Now().Before(until) {
					return Result{}, errors.New("not yet")
				}
				return Result{}, nil
			}
		}},
		{"follow-ups hold every slot", func(until time.Time) Handler {
			return func(_ context.Context, m Message) (Result, error) {
				env, err := schemas.NewEnvelope(m.Envelope.RequestID+"/reply", m.Envelope.RequestID, "test", m.Envelope.Time,
					&schemas.ResponseReady{Outcome: schemas.OutcomeDenied})
				if err != nil {
					return Result{}, err
				}
				return Result{Out: []Output{{Topic: schemas.TopicResponses, Envelope: env}},
					After: func(context.Context) []Output { time.Sleep(time.Until(until)); return nil }}, nil
			}
		}},
	}
	for _, m := range stageModes {
		for _, c := range cases {
			t.Run(m.name+"/"+c.name, func(t *testing.T) {
				e, err := StartEmbedded(0, "")
				if err != nil {
					t.Fatal(err)
				}
				t.Cleanup(e.Close)
				cfg := testConfig(t, e.Addrs())
				cfg.StallTimeout = watchBound
				ctx, cancel := context.WithCancel(context.Background())
				defer cancel()
				hook := &stallHook{}
				until := time.Now().Add(5 * watchBound)
				done := make(chan error, 1)
				go func() {
					done <- RunStage(ctx, StageConfig{Bus: cfg, Group: testGroup(t), Topics: []string{schemas.TopicRequests}, Instance: "i1",
						Idempotent: m.idempotent, Parallel: 1, RetryPause: 100 * time.Millisecond, MaxRetryPause: 200 * time.Millisecond,
						MaxAttempts: 1000, Hooks: []Hook{hook}}, c.handler(until))
				}()
				pub := testPublisher(t, cfg)
				publishAcross(t, ctx, pub, "w")
				// More records while the first ones hold the loop: records
				// wait on its partitions.
				time.Sleep(watchBound)
				publishAcross(t, ctx, pub, "w2")
				time.Sleep(time.Until(until) + 2*watchBound)
				if s := hook.get(); len(s) > 0 {
					t.Errorf("stalls reported while the handler held the loop: %v", s)
				}
				cancel()
				if err := <-done; err != nil {
					t.Errorf("RunStage: %v", err)
				}
			})
		}
	}
}

// After a transaction whose EndTxn failed (every try's connection dropped,
// as when the broker stops: franz-go then only marks its producer id for
// reloading at the next produce), the stage initializes its producer id again at once:
// the transaction it may have left open on the broker is fenced and
// aborted now, not at the next produce, which a session that has to fetch
// its offsets again (after a broker restart) never reaches while that
// transaction holds them. The retry pause here is long, so only the eager
// re-initialisation can come within it.
func TestFailedEndTxnReinitializesTheProducer(t *testing.T) {
	r := newFaultRig(t, false, false)
	r.retryPause = 10 * time.Second
	r.start("i1")
	r.check(r.wave("w1", 12, false))

	var dropped atomic.Int64 // unix nanos of the last dropped EndTxn
	var drop atomic.Bool
	drop.Store(true)
	r.broker.c.ControlKey(int16(kmsg.EndTxn), func(kmsg.Request) (kmsg.Response, error, bool) {
		if !drop.Load() {
			return nil, nil, false
		}
		r.broker.c.KeepControl()
		dropped.Store(time.Now().UnixNano())
		return nil, errors.New("connection dropped by the test"), true
	})
	inits := r.broker.c.Fault(kfake.Fault{Keys: []kmsg.Key{kmsg.InitProducerID}, TxnID: r.group + "/i1", Observe: true, Count: -1})
	defer inits.Remove()
	ids := r.wave("w2", 12, false)
	r.wait(t, "an InitProducerID after the dropped EndTxn", inits, 1)
	drop.Store(false)
	if took := time.Since(time.Unix(0, dropped.Load())); dropped.Load() == 0 || took > 3*time.Second {
		t.Fatalf("the producer id was initialized again %v after the EndTxn was dropped (dropped: %v); want at once", took, dropped.Load() != 0)
	}
	r.check(ids)
	r.stop()
}

// A transaction's commit marker takes an offset: a group that has read a
// transactionally written partition to its end has committed the marker's
// offset, one short of the end offset, for ever. That is not records
// waiting, and not a stall.
func TestWatchdogIgnoresTransactionMarkers(t *testing.T) {
	r := newFaultRig(t, false, false)
	r.cfg.StallTimeout = watchBound
	hook := &stallHook{}
	r.hooks = []Hook{hook}
	r.start("i1")
	cl, err := kgo.NewClient(r.cfg.clientOpts(kgo.TransactionalID(r.group+"/writer"), kgo.DefaultProduceTopic(r.cfg.Topic(schemas.TopicRequests)))...)
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	var ids []string
	for i := range 3 {
		if err := cl.BeginTransaction(); err != nil {
			t.Fatal(err)
		}
		for j := range 3 {
			id := fmt.Sprintf("txn-%d-%d", i, j)
			ids = append(ids, id)
			rec, err := r.cfg.record(Output{Topic: schemas.TopicRequests, Key: id, Envelope: event(t, id, &schemas.RequestReceived{})})
			if err != nil {
				t.Fatal(err)
			}
			if err := cl.ProduceSync(r.ctx, rec).FirstErr(); err != nil {
				t.Fatal(err)
			}
		}
		if err := cl.EndTransaction(r.ctx, kgo.TryCommit); err != nil {
			t.Fatal(err)
		}
	}
	r.check(ids)
	time.Sleep(4 * watchBound)
	if s := hook.get(); len(s) > 0 {
		t.Errorf("stalls reported for a partition read to its end: %v", s)
	}
	r.stop()
}
