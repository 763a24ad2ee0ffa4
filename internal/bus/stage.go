package bus

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime/debug"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/jitgate/jitgate/schemas"
)

// Handler turns one consumed event into the events to publish. The loop
// publishes them and commits the input's offset in one Kafka transaction
// (or, with StageConfig.Idempotent, commits the offset once the outputs
// are acknowledged); a returned error or a panic publishes and commits
// nothing and the input is handled again after a pause. Errors about the
// request itself (bad input, policy errors) belong in the outputs, as
// events; an error return means "try again later".
type Handler func(ctx context.Context, m Message) (Result, error)

// Result is what a handler wants done.
type Result struct {
	// Out is published in the same transaction that commits the input (or,
	// with StageConfig.Idempotent, before the input's offset is committed).
	Out []Output
	// After, if set, runs once Out and the input offset are committed. The
	// executor uses it to call AWS only after execution.started is durable,
	// so that a call is never made twice. After runs in the background
	// (at most StageConfig.Parallel at once), so one slow call does not
	// hold up the next batch; it gets a context that shutdown does not
	// cancel, so bound its work itself. Its outputs are published outside
	// any transaction by an idempotent producer: the side effect already
	// happened, so a transaction would buy nothing, and franz-go holds an
	// offset-less transaction's commit lock for 500 ms.
	After func(ctx context.Context) []Output
}

// StageConfig configures RunStage.
type StageConfig struct {
	Bus Config
	// Group is the consumer group, e.g. "jitgate-decider".
	Group string
	// Topics are the topic suffixes to consume.
	Topics []string
	// Types, if set, are the event types the handler reads; records of
	// other types (by their type header) are skipped without being decoded
	// or handled. Empty: every record is handled.
	Types []schemas.Type
	// Instance is this process's stable identity in the group: its static
	// member id (kgo.InstanceID) and, with Group, its transactional id. A
	// process restarted with the same Instance takes over its
	// predecessor's partitions at once and fences its producer; two live
	// processes with the same Instance fence each other (the older one
	// stops with ErrFenced). Set it from the pod or host name. Required.
	Instance string
	// Parallel bounds how many After functions run at once; the loop stops
	// polling while that many are in flight. Default 16.
	Parallel int
	// MaxAttempts is how many times an event's handler may fail (an error
	// or a panic) before the event is dead-lettered. Default 5.
	MaxAttempts int
	// RetryPause is the wait after a failed try; it doubles with each try
	// of the same event up to MaxRetryPause. Defaults 1s and 10s.
	RetryPause    time.Duration
	MaxRetryPause time.Duration
	// NotReadyPause is the wait after a handler returned ErrNotReady.
	// Default 50ms.
	NotReadyPause time.Duration
	// Hooks are told about failures, panics and dead letters (see hooks.go).
	Hooks []Hook
	// Owned, if set, is kept current with the partitions this member owns
	// (see owned.go). Default nil: not tracked.
	Owned *Owned
	// Idempotent selects at-least-once delivery for a pure stage. Default
	// false: a batch's outputs and its input offsets commit in one Kafka
	// transaction, exactly once (the decider and the executor need that).
	// With Idempotent the outputs are written by an idempotent producer,
	// outside any transaction, and the input offsets are committed only
	// after the brokers acknowledged every output of the batch (dead
	// letters included); a failed produce or commit rewinds the batch and
	// handles it again, and a crash between the acks and the commit hands
	// it to the next owner. A batch's outputs may therefore be written
	// twice, so use it only for a handler that, given the same event,
	// returns the same events: ids derived from the input's id and the
	// output's role (never random), times derived from the input's (never
	// the clock), the same payloads. A duplicate is then the same event to
	// every reader (the recorder keeps one row per event id and time; the
	// ingress answers once). Dead letters keep their derived id and take
	// the record's time in this mode. The saving is the transaction's
	// round trips per batch (BenchmarkHop). After still runs only once
	// the outputs are acknowledged and the offsets committed, at most once
	// per commit; rebalances wait for the batch in hand
	// (kgo.BlockRebalanceOnPoll), so keep handling short.
	Idempotent bool
	Logger     *slog.Logger
	// afterProduce, if set (tests only), sees every batch's records once
	// the brokers acknowledged them, in the idempotent mode; an error it
	// returns counts as the produce's, as if the acknowledgement was
	// lost.
	afterProduce func(recs []*kgo.Record) error
}

func (cfg *StageConfig) setDefaults() {
	cfg.Bus.setDefaults()
	if cfg.Parallel <= 0 {
		cfg.Parallel = 16
	}
	if cfg.MaxAttempts <= 0 {
		cfg.MaxAttempts = DefaultMaxAttempts
	}
	if cfg.RetryPause <= 0 {
		cfg.RetryPause = DefaultRetryPause
	}
	if cfg.MaxRetryPause <= 0 {
		cfg.MaxRetryPause = max(DefaultMaxRetryPause, cfg.RetryPause)
	}
	if cfg.NotReadyPause <= 0 {
		cfg.NotReadyPause = DefaultNotReadyPause
	}
}

// maxRebuilds is how many times in a row RunStage rebuilds a Kafka client
// whose producer is stuck before it gives up with ErrProducerFailed.
const maxRebuilds = 3

// RunStage consumes cfg.Topics as cfg.Group and runs h on every event until
// ctx ends, under the failure policy in failure.go, delivering each batch
// in one Kafka transaction (transact.go) or, with cfg.Idempotent, with an
// idempotent producer and an offset commit after the acknowledgements
// (idempotent.go). It returns nil when ctx is cancelled, after leaving the
// group. It returns an error wrapping ErrFenced when another process took
// over its instance id (it does not fight for the partitions), and
// ErrProducerFailed when its producer stays stuck after being rebuilt:
// exit non-zero, the supervisor restarts the role.
func RunStage(ctx context.Context, cfg StageConfig, h Handler) error {
	cfg.setDefaults()
	if err := cfg.Bus.Validate(); err != nil {
		return err
	}
	if cfg.Group == "" || cfg.Instance == "" || len(cfg.Topics) == 0 {
		return errors.New("bus: stage needs a group, an instance id and topics")
	}
	log := logger(cfg.Logger).With("group", cfg.Group, "instance", cfg.Instance)
	follow, err := kgo.NewClient(cfg.Bus.clientOpts(withKgoLogger(log))...)
	if err != nil {
		return fmt.Errorf("bus: %s: follow-up producer: %w", cfg.Group, err)
	}
	defer follow.Close()
	// The watchdog needs the owned partitions whether or not the caller
	// asked for them.
	owned := cfg.Owned
	if owned == nil {
		owned = NewOwned()
	}
	s := &stage{cfg: cfg, follow: follow, followGroup: &groupProducer{cl: follow}, h: h, log: log, hooks: hooks(cfg.Hooks),
		slots: make(chan struct{}, cfg.Parallel), tries: attempts{}, owned: owned}
	// Calls in flight finish and publish their outcome before the stage
	// stops: an abandoned call would end as "outcome unknown".
	defer s.afters.Wait()
	rebuilds, stalls := 0, 0
	opts := append([]kgo.Opt{kgo.InstanceID(cfg.Instance), withKgoLogger(log)}, owned.opts(cfg.Bus)...)
	connect := newTransact
	if cfg.Idempotent {
		connect = newIdempotent
	}
	for {
		guard := &fenceGuard{}
		d, err := connect(cfg, append(slices.Clip(opts), kgo.WithHooks(guard)))
		if err != nil {
			return fmt.Errorf("bus: %s: %w", cfg.Group, err)
		}
		guard.bind(d.close)
		committed := s.committed
		err = s.run(ctx, d, stallTimeout(cfg.Bus.StallTimeout, stalls))
		if guard.fenced.Load() && ctx.Err() == nil && !errors.Is(err, kerr.FencedInstanceID) {
			// The guard closed the session under the loop: what the
			// loop met was the close, the cause was the fence.
			err = fmt.Errorf("group membership: %w", kerr.FencedInstanceID)
		}
		own, _ := d.client().GroupMetadata()
		// A static member does not leave the group when it closes: a
		// restart with the same instance takes its place at once.
		d.close()
		twin := err != nil && (fenced(err) || errors.Is(err, errBegin)) && s.heldByTwin(ctx, own, err)
		owned.clear() // a closed session owns nothing
		switch {
		case err == nil:
			leaveGroup(ctx, follow, cfg.Group, cfg.Instance, log)
			return nil
		case twin:
			log.Error("fenced: another process took over this stage's instance id; stopping instead of fighting for its partitions "+
				"(give every replica its own --instance)", "err", err)
			return fencedError(cfg.Group, cfg.Instance, err)
		}
		if s.committed > committed {
			rebuilds, stalls = 0, 0
		}
		var stall *StallError
		if errors.As(err, &stall) {
			// Not counted against maxRebuilds: a stall may outlast
			// every rebuild (another producer's transaction holding the
			// offsets until the broker times it out), and exiting would
			// not shorten it. The bound doubles instead.
			stalls++
			leave := stalls > 1
			log.Error("stage stalled: partitions with records waiting made no progress; rebuilding the Kafka client",
				"partitions", stall.Partitions, "for", stall.For.Round(100*time.Millisecond), "unstable_offsets", stall.Unstable,
				"last_err", stall.Last, "stalls_in_a_row", stalls, "leave_group", leave,
				"next_bound", stallTimeout(cfg.Bus.StallTimeout, stalls))
			s.hooks.stalled(cfg.Group, stall)
			if leave {
				// The same member rejoining did not help: leave, so the
				// partitions are assigned and their offsets fetched anew.
				leaveGroup(ctx, follow, cfg.Group, cfg.Instance, log)
			}
			continue
		}
		if rebuilds++; rebuilds > maxRebuilds {
			return fmt.Errorf("%w: group %s, instance %q, after %d rebuilds: %w", ErrProducerFailed, cfg.Group, cfg.Instance, maxRebuilds, err)
		}
		log.Warn("the stage's producer is stuck; rebuilding the Kafka client", "rebuild", rebuilds, "err", err)
	}
}

// delivery is how a batch's outputs and input offsets become durable: in
// one Kafka transaction (transact.go), or by an idempotent producer and an
// offset commit after the acknowledgements (idempotent.go).
type delivery interface {
	// client is the group member's Kafka client.
	client() *kgo.Client
	// poll waits for records.
	poll(ctx context.Context) kgo.Fetches
	// settle ends the handling of the last poll; a rebalance may run.
	settle()
	// publish writes recs and commits the offsets of every record polled
	// so far. With failed set it writes nothing. Unless it returns nil,
	// the batch is rewound, to be handled again.
	publish(ctx context.Context, fetches kgo.Fetches, recs []*kgo.Record, failed error) error
	// commitOffsets commits the offsets of records handled without
	// outputs.
	commitOffsets(ctx context.Context) error
	close()
}

// run is one session's loop. It returns nil when ctx ends, and the error
// when the session cannot go on: fenced, its producer stuck, or stalled
// for bound (a *StallError from its watchdog).
func (s *stage) run(ctx context.Context, d delivery, bound time.Duration) error {
	s.d = d
	s.clock = newLoopClock()
	// The watchdog ends a stalled session by cancelling its polls (and
	// its Kafka pauses): the loop holds no batch in either.
	pollCtx, stopPolls := context.WithCancel(ctx)
	defer stopPolls()
	var stalled atomic.Pointer[StallError]
	w := &watchdog{bound: bound, group: s.cfg.Group, cfg: s.cfg.Bus, admin: kadm.NewClient(s.follow), owned: s.owned,
		clock: s.clock, log: s.log, stall: func(e *StallError) { stalled.Store(e); stopPolls() }}
	wctx, stopWatch := context.WithCancel(ctx)
	watched := make(chan struct{})
	go func() { defer close(watched); w.run(wctx) }()
	defer func() { stopWatch(); <-watched }()
	// pending: records were handled without outputs and their offsets
	// are not committed yet.
	pending := false
	for {
		pause, busy, err := s.round(ctx, pollCtx, &pending)
		if e := stalled.Load(); e != nil && ctx.Err() == nil && (err == nil || errors.Is(err, context.Canceled)) {
			return e
		}
		switch {
		case err != nil:
			return err
		case ctx.Err() != nil:
			return nil
		case pause > 0:
			done := func() {}
			if busy {
				done = s.clock.busy()
			}
			select {
			case <-ctx.Done():
			case <-pollCtx.Done():
			case <-time.After(pause):
			}
			done()
		}
	}
}

// round polls once (with pollCtx, which the watchdog may cancel) and
// handles what came: a batch, or the idle commit of pending offsets. It
// returns how long to wait before the next round (a batch to be tried
// again) and whether that wait is the handler's (a failure of the
// handler, not of Kafka), or an error that ends the session.
func (s *stage) round(ctx, pollCtx context.Context, pending *bool) (time.Duration, bool, error) {
	pause, err := s.roundKafka(ctx, pollCtx, pending)
	var re *retryError
	busy := errors.As(err, &re) || errors.Is(err, ErrNotReady)
	if busy {
		err = nil
	}
	return pause, busy, err
}

// roundKafka is round; a batch the handler failed comes back as its error
// (a *retryError or ErrNotReady), with its pause.
func (s *stage) roundKafka(ctx, pollCtx context.Context, pending *bool) (time.Duration, error) {
	fetches := s.poll(pollCtx, *pending)
	defer s.d.settle()
	if ctx.Err() != nil || pollCtx.Err() != nil {
		return 0, nil
	}
	if *pending && fetches.NumRecords() == 0 {
		// Quiet for idleCommit: commit the skipped records' offsets, so
		// that the group's lag reads zero and a successor does not hand
		// them out again.
		if err := s.d.commitOffsets(ctx); err != nil {
			if fatal(err) {
				return 0, err
			}
			s.clock.failed(err)
			s.log.Debug("idle offset commit failed; the next batch commits them", "err", err)
		}
		*pending = false
		return 0, nil
	}
	var fetchErr error
	fetches.EachError(func(topic string, p int32, err error) {
		// A fenced session ends; so does one whose client was closed
		// under it (fenceGuard), which no retry can revive.
		if fenced(err) || errors.Is(err, kgo.ErrClientClosed) {
			fetchErr = err
			return
		}
		s.clock.failed(fmt.Errorf("fetch %s/%d: %w", topic, p, err))
		s.log.Warn("fetch failed", "topic", topic, "partition", p, "err", err)
	})
	if fetchErr != nil {
		return 0, fetchErr
	}
	if fetches.Empty() {
		return 0, nil
	}
	skipped, err := s.batch(ctx, fetches)
	if err == nil {
		*pending = skipped
		s.clock.progressed(fetches)
		return 0, nil
	}
	*pending = false // the batch was rewound
	var re *retryError
	handlers := errors.As(err, &re) || errors.Is(err, ErrNotReady)
	switch {
	case ctx.Err() != nil:
		return 0, nil
	case fatal(err):
		return 0, err
	case handlers:
		// The bus served these partitions; their handler is what
		// failed or waits: not a stall.
		s.clock.progressed(fetches)
		if errors.Is(err, ErrNotReady) {
			s.log.Debug("batch waits", "err", err)
		} else {
			s.log.Warn("batch not committed; will retry", "err", err, "retry_in", s.cfg.pause(err))
		}
		return s.cfg.pause(err), err
	}
	s.clock.failed(err)
	s.log.Warn("batch not committed; will retry", "err", err, "retry_in", s.cfg.pause(err))
	return s.cfg.pause(err), nil
}

// fatal reports an error after which the session cannot go on: fenced, or a
// transactional producer franz-go will not use again (a fatal producer id
// error, or a transaction it believes is still open after a failed end).
func fatal(err error) bool {
	if fenced(err) {
		return true
	}
	msg := err.Error()
	return strings.Contains(msg, "already in a transaction") || strings.Contains(msg, "fatal, unrecoverable")
}

type stage struct {
	cfg    StageConfig
	d      delivery
	follow *kgo.Client // publishes After outputs, outside any transaction
	h      Handler
	log    *slog.Logger
	hooks  hooks
	slots  chan struct{} // one per After in flight
	afters sync.WaitGroup
	tries  attempts
	owned  *Owned
	clock  *loopClock // what the session's watchdog reads
	// committed counts batches committed (to tell a producer that works
	// again from one stuck for good).
	committed int
	// followGroup sends the follow-ups of concurrent Afters together
	// (group.go).
	followGroup *groupProducer
}

// batch handles one poll's records, then publishes their outputs (and the
// dead letters of records given up on) and commits their offsets. A batch
// that publishes nothing and starts no follow-up publishes and commits
// nothing (skipped): its offsets are committed with the next batch that
// does, or once the stage has been quiet for idleCommit. Until then a
// restart or a rebalance hands those records out again, which is harmless
// because handling them had no effect in Kafka (the same holds for a
// crash before any commit). This saves a transaction (or a commit) per
// record that a stage only skips, such as the masker's execution.started
// and the executor's non-allow decisions.
func (s *stage) batch(ctx context.Context, fetches kgo.Fetches) (skipped bool, err error) {
	var (
		recs   []*kgo.Record
		afters []func(context.Context) []Output
		refs   []recordRef
		dead   []*schemas.DeadLetter
		failed error
	)
	handling := s.clock.busy()
	fetches.EachRecord(func(r *kgo.Record) {
		if failed != nil || !s.wants(r) {
			return
		}
		ref := recordRef{r.Topic, r.Partition, r.Offset}
		refs = append(refs, ref)
		out, after, dl, err := s.handleRecord(ctx, r, ref)
		if err != nil {
			failed = err
			return
		}
		recs = append(recs, out...)
		if after != nil {
			afters = append(afters, after)
		}
		if dl != nil {
			dead = append(dead, dl)
		}
	})
	handling()
	if failed == nil && len(recs) == 0 && len(afters) == 0 {
		s.tries.settled(refs)
		return true, nil
	}
	handled := time.Now()
	if err := s.d.publish(ctx, fetches, recs, failed); err != nil {
		return false, err
	}
	// Per-batch timing at debug: what sizes batches reach and what their
	// commit costs (docs/performance.md reads these).
	s.log.Debug("batch committed", "records", len(refs), "outputs", len(recs), "follow_ups", len(afters),
		"commit", time.Since(handled))
	s.committed++
	s.tries.settled(refs)
	for _, dl := range dead {
		s.log.Error("dead-lettered a record; its partition moves on", "kind", dl.Kind, "reason", dl.Reason, "attempts", dl.Attempts,
			"topic", dl.Topic, "partition", dl.Partition, "offset", dl.Offset, "type", dl.Type, "event_id", dl.EventID,
			"dead_letter", DeadLetterID(s.cfg.Group, dl.Topic, dl.Partition, dl.Offset))
		s.hooks.deadLettered(s.cfg.Group, dl)
	}
	for _, f := range afters {
		s.startAfter(ctx, f)
	}
	return false, nil
}

// handleRecord decodes and handles one record under the failure policy. It
// returns the records to publish for it (its outputs, or its dead letter),
// or an error that fails the batch: ErrNotReady, or a failure to be tried
// again (*retryError).
func (s *stage) handleRecord(ctx context.Context, r *kgo.Record, ref recordRef) ([]*kgo.Record, func(context.Context) []Output, *schemas.DeadLetter, error) {
	m, err := s.cfg.Bus.message(r)
	ran := err == nil
	if ran {
		var res Result
		if res, err = callStage(ctx, s.h, m); err == nil {
			var recs []*kgo.Record
			if recs, err = s.records(res.Out); err == nil {
				return recs, res.After, nil, nil
			}
		}
	}
	what := fmt.Sprintf("%s %s (%s/%d@%d)", header(r, schemas.HeaderType), header(r, schemas.HeaderRequestID), r.Topic, r.Partition, r.Offset)
	if errors.Is(err, ErrNotReady) {
		return nil, nil, nil, fmt.Errorf("%s: %w", what, err)
	}
	var p *PanicError
	if errors.As(err, &p) {
		s.hooks.panicked(s.cfg.Group, p)
		s.log.Error("handler panicked; counted as a failure", "event", what, "panic", p.Value, "stack", string(p.Stack))
	}
	n := 0
	if ran {
		n = s.tries.fail(ref)
	}
	if !poison(err) && n < s.cfg.MaxAttempts {
		s.hooks.failure(s.cfg.Group, n, err)
		return nil, nil, nil, &retryError{attempt: n, err: fmt.Errorf("%s: %w", what, err)}
	}
	rec, dl, err := s.cfg.Bus.deadLetter(s.cfg.Group, s.cfg.Group+"/"+s.cfg.Instance, r, deadLetterKind(err), err, n, s.deadLetterTime(r))
	if err != nil {
		return nil, nil, nil, err
	}
	return []*kgo.Record{rec}, nil, dl, nil
}

// deadLetterTime is the time of r's dead letter: now, or in the idempotent
// mode, where a batch may be published twice, the record's own time plus
// a microsecond, so that a second copy is the same event to the recorder
// (its table is ordered by time and event id).
func (s *stage) deadLetterTime(r *kgo.Record) time.Time {
	if s.cfg.Idempotent {
		return r.Timestamp.Add(time.Microsecond)
	}
	return time.Now()
}

// records encodes outs.
func (s *stage) records(outs []Output) ([]*kgo.Record, error) {
	recs := make([]*kgo.Record, 0, len(outs))
	for _, o := range outs {
		rec, err := s.cfg.Bus.record(o)
		if err != nil {
			return nil, err
		}
		recs = append(recs, rec)
	}
	return recs, nil
}

// idleCommit is how long a stage waits for more records before it commits
// the offsets of records it handled without outputs.
const idleCommit = 200 * time.Millisecond

// poll waits for records; with skipped records pending, for at most
// idleCommit.
func (s *stage) poll(ctx context.Context, pending bool) kgo.Fetches {
	if !pending {
		return s.d.poll(ctx)
	}
	pctx, cancel := context.WithTimeout(ctx, idleCommit)
	defer cancel()
	return s.d.poll(pctx)
}

// wants reports whether the stage reads r: with StageConfig.Types set,
// records of other types are skipped by their type header, undecoded.
func (s *stage) wants(r *kgo.Record) bool {
	return len(s.cfg.Types) == 0 || slices.Contains(s.cfg.Types, schemas.Type(header(r, schemas.HeaderType)))
}

// produce writes recs with cl and waits until the brokers acknowledged all
// of them; it returns the first failure.
func produce(ctx context.Context, cl *kgo.Client, recs []*kgo.Record) error {
	var produced produceErr
	for _, rec := range recs {
		cl.Produce(ctx, rec, func(r *kgo.Record, err error) {
			if err != nil {
				produced.set(fmt.Errorf("produce %s: %w", header(r, schemas.HeaderType), err))
			}
		})
	}
	if err := cl.Flush(ctx); err != nil {
		return fmt.Errorf("flush: %w", err)
	}
	return produced.get()
}

// produceErr keeps the first failure of a batch's asynchronous produces.
type produceErr struct {
	mu  sync.Mutex
	err error
}

func (p *produceErr) set(err error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.err == nil {
		p.err = err
	}
}

func (p *produceErr) get() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.err
}

// finishing bounds how long a batch in hand may take to publish and
// commit once the stage is shutting down: finishing it, rather than
// leaving it open, spares the next owner a stalled partition (a
// transaction) or a second copy of the outputs (idempotent).
func finishing(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
}

// startAfter runs f in the background once a slot is free, then publishes
// its outputs. The input is already committed, so publishing is retried
// until it lands; shutdown waits for it (RunStage).
func (s *stage) startAfter(ctx context.Context, f func(context.Context) []Output) {
	// Waiting for a slot is waiting for calls, not for Kafka.
	defer s.clock.busy()()
	select {
	case s.slots <- struct{}{}:
	case <-ctx.Done():
		// Shutting down: still run it, the call was promised by the
		// committed execution.started.
		s.slots <- struct{}{}
	}
	s.afters.Add(1)
	go func() {
		defer s.afters.Done()
		defer func() { <-s.slots }()
		outs := s.runAfter(context.WithoutCancel(ctx), f)
		s.publishFollowUps(ctx, outs)
	}()
}

// runAfter runs f, turning a panic into no outputs (and a loud log).
func (s *stage) runAfter(ctx context.Context, f func(context.Context) []Output) (outs []Output) {
	defer func() {
		if p := recover(); p != nil {
			s.log.Error("follow-up panicked; its outcome is not published", "panic", p, "stack", string(debug.Stack()))
			outs = nil
		}
	}()
	return f(ctx)
}

// followUpGrace bounds how long publishing follow-up events may retry once
// the stage is shutting down.
const followUpGrace = 30 * time.Second

func (s *stage) publishFollowUps(ctx context.Context, outs []Output) {
	if len(outs) == 0 {
		return
	}
	recs := make([]*kgo.Record, 0, len(outs))
	for _, o := range outs {
		rec, err := s.cfg.Bus.record(o)
		if err != nil {
			s.log.Error("follow-up event cannot be encoded; dropped", "type", o.Envelope.Type, "request_id", o.Envelope.RequestID, "err", err)
			continue
		}
		recs = append(recs, rec)
	}
	for {
		pctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), followUpGrace)
		err := s.followGroup.produce(pctx, unproduced(recs))
		cancel()
		if err == nil {
			return
		}
		if ctx.Err() != nil {
			s.log.Error("follow-up events not published before shutdown", "events", len(recs), "err", err)
			return
		}
		s.log.Warn("publishing follow-up events failed; retrying", "err", err)
		select {
		case <-ctx.Done():
		case <-time.After(s.cfg.RetryPause):
		}
	}
}

// unproduced copies recs as records never handed to a producer. franz-go
// keeps the context of a record's first Produce in Record.Context and
// honours it on every later Produce of that record: retrying the same
// records after a failed attempt, whose context is cancelled by then,
// failed with "context canceled" for ever, and a call that had run never
// got its execution.finished. Found by
// executor/TestExecutorUnderBrokerFaults (a produce answered
// UNKNOWN_SERVER_ERROR).
func unproduced(recs []*kgo.Record) []*kgo.Record {
	out := make([]*kgo.Record, len(recs))
	for i, r := range recs {
		out[i] = &kgo.Record{Topic: r.Topic, Key: r.Key, Value: r.Value, Headers: r.Headers}
	}
	return out
}
