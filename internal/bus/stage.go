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
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/jitgate/jitgate/schemas"
)

// Handler turns one consumed event into the events to publish. The loop
// publishes them and commits the input's offset in one Kafka transaction; a
// returned error or a panic aborts the transaction and the input is handled
// again after a pause. Errors about the request itself (bad input, policy
// errors) belong in the outputs, as events; an error return means "try
// again later".
type Handler func(ctx context.Context, m Message) (Result, error)

// Result is what a handler wants done.
type Result struct {
	// Out is published in the same transaction that commits the input.
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
	Owned  *Owned
	Logger *slog.Logger
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

// maxRebuilds is how many times in a row RunStage rebuilds a transactional
// producer that is stuck before it gives up with ErrProducerFailed.
const maxRebuilds = 3

// RunStage consumes cfg.Topics as cfg.Group and runs h on every event until
// ctx ends, under the failure policy in failure.go. It returns nil when ctx
// is cancelled, after leaving the group. It returns an error wrapping
// ErrFenced when another process took over its instance id (it does not
// fight for the partitions), and ErrProducerFailed when its transactional
// producer stays stuck after being rebuilt: exit non-zero, the supervisor
// restarts the role.
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
	s := &stage{cfg: cfg, follow: follow, h: h, log: log, hooks: hooks(cfg.Hooks),
		slots: make(chan struct{}, cfg.Parallel), tries: attempts{}}
	// Calls in flight finish and publish their outcome before the stage
	// stops: an abandoned call would end as "outcome unknown".
	defer s.afters.Wait()
	rebuilds := 0
	opts := []kgo.Opt{
		kgo.TransactionalID(cfg.Group + "/" + cfg.Instance),
		kgo.TransactionTimeout(TransactionTimeout),
		kgo.InstanceID(cfg.Instance),
		withKgoLogger(log),
	}
	if cfg.Owned != nil {
		opts = append(opts, cfg.Owned.opts(cfg.Bus)...)
	}
	for {
		sess, err := kgo.NewGroupTransactSession(cfg.Bus.groupOpts(cfg.Group, cfg.Topics, opts...)...)
		if err != nil {
			return fmt.Errorf("bus: %s: %w", cfg.Group, err)
		}
		committed := s.committed
		err = s.run(ctx, sess)
		twin := err != nil && fenced(err) && s.heldByTwin(ctx, sess, err)
		// A static member does not leave the group when it closes: a
		// restart with the same instance takes its place at once.
		sess.Close()
		if cfg.Owned != nil {
			cfg.Owned.clear() // a closed session owns nothing
		}
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
			rebuilds = 0
		}
		if rebuilds++; rebuilds > maxRebuilds {
			return fmt.Errorf("%w: group %s, instance %q, after %d rebuilds: %w", ErrProducerFailed, cfg.Group, cfg.Instance, maxRebuilds, err)
		}
		log.Warn("transactional producer is stuck; rebuilding the Kafka client", "rebuild", rebuilds, "err", err)
	}
}

// run is one session's loop. It returns nil when ctx ends, and the error
// when the session cannot go on: fenced, or its producer stuck.
func (s *stage) run(ctx context.Context, sess *kgo.GroupTransactSession) error {
	s.sess = sess
	// pending: records were handled without a transaction and their
	// offsets are not committed yet.
	pending := false
	for {
		fetches := s.poll(ctx, pending)
		if ctx.Err() != nil {
			return nil
		}
		if pending && fetches.NumRecords() == 0 {
			// Quiet for idleCommit: commit the skipped records' offsets, so
			// that the group's lag reads zero and a successor does not
			// hand them out again.
			if err := s.commitOffsets(ctx); err != nil {
				if fatal(err) {
					return err
				}
				s.log.Debug("idle offset commit failed; the next batch commits them", "err", err)
			}
			pending = false
			continue
		}
		var fetchErr error
		fetches.EachError(func(topic string, p int32, err error) {
			if fenced(err) {
				fetchErr = err
				return
			}
			s.log.Warn("fetch failed", "topic", topic, "partition", p, "err", err)
		})
		if fetchErr != nil {
			return fetchErr
		}
		if fetches.Empty() {
			continue
		}
		var err error
		if pending, err = s.batch(ctx, fetches); err != nil {
			pending = false // the abort rewound to the committed offsets
			if ctx.Err() != nil {
				return nil
			}
			if fatal(err) {
				return err
			}
			if errors.Is(err, ErrNotReady) {
				s.log.Debug("batch waits", "err", err)
			} else {
				s.log.Warn("batch not committed; will retry", "err", err, "retry_in", s.cfg.pause(err))
			}
			select {
			case <-ctx.Done():
				return nil
			case <-time.After(s.cfg.pause(err)):
			}
		}
	}
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
	sess   *kgo.GroupTransactSession
	follow *kgo.Client // publishes After outputs, outside any transaction
	h      Handler
	log    *slog.Logger
	hooks  hooks
	slots  chan struct{} // one per After in flight
	afters sync.WaitGroup
	tries  attempts
	// committed counts transactions committed (to tell a producer that
	// works again from one stuck for good).
	committed int
}

// batch handles one poll's records, then publishes their outputs (and the
// dead letters of records given up on) and commits their offsets in one
// transaction. A batch that publishes nothing and starts no follow-up
// opens no transaction (skipped): its offsets are committed with the next
// batch that does, or once the stage has been quiet for idleCommit. Until
// then a restart or a rebalance hands those records out again, which is
// harmless because handling them had no effect in Kafka (the same holds
// today for a crash before any commit). This saves a transaction per
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
	if failed == nil && len(recs) == 0 && len(afters) == 0 {
		s.tries.settled(refs)
		return true, nil
	}
	if err := s.sess.Begin(); err != nil {
		return false, fmt.Errorf("begin transaction: %w", err)
	}
	if failed == nil {
		failed = s.produce(ctx, recs)
	}
	// Ending with an abort also rewinds the session to the committed
	// offsets, so a failed batch is handled again.
	committed, err := s.end(ctx, kgo.TransactionEndTry(failed == nil))
	switch {
	case failed != nil && err != nil && fatal(err):
		return false, fmt.Errorf("abort: %w (after %w)", err, failed)
	case failed != nil:
		return false, failed
	case err != nil:
		return false, fmt.Errorf("commit: %w", err)
	case !committed:
		return false, errors.New("transaction aborted by a rebalance")
	}
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
	rec, dl, err := s.cfg.Bus.deadLetter(s.cfg.Group, s.cfg.Group+"/"+s.cfg.Instance, r, deadLetterKind(err), err, n, time.Now())
	if err != nil {
		return nil, nil, nil, err
	}
	return []*kgo.Record{rec}, nil, dl, nil
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
// the offsets of records it handled without a transaction.
const idleCommit = 200 * time.Millisecond

// poll waits for records; with skipped records pending, for at most
// idleCommit.
func (s *stage) poll(ctx context.Context, pending bool) kgo.Fetches {
	if !pending {
		return s.sess.PollFetches(ctx)
	}
	pctx, cancel := context.WithTimeout(ctx, idleCommit)
	defer cancel()
	return s.sess.PollFetches(pctx)
}

// commitOffsets commits the offsets of everything handled so far in a
// transaction that publishes nothing. It carries consumer offsets, so
// franz-go does not hold its lock for 500 ms afterwards.
func (s *stage) commitOffsets(ctx context.Context) error {
	if err := s.sess.Begin(); err != nil {
		return fmt.Errorf("begin transaction: %w", err)
	}
	committed, err := s.end(ctx, kgo.TryCommit)
	if err == nil && !committed {
		err = errors.New("transaction aborted by a rebalance")
	}
	return err
}

// wants reports whether the stage reads r: with StageConfig.Types set,
// records of other types are skipped by their type header, undecoded.
func (s *stage) wants(r *kgo.Record) bool {
	return len(s.cfg.Types) == 0 || slices.Contains(s.cfg.Types, schemas.Type(header(r, schemas.HeaderType)))
}

// end finishes the open transaction even when ctx is already cancelled: a
// transaction left open on shutdown would stall the next group member
// until the broker's transaction timeout.
func (s *stage) end(ctx context.Context, commit kgo.TransactionEndTry) (bool, error) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
	defer cancel()
	return s.sess.End(ctx, commit)
}

// produce writes recs in the open transaction and waits until the brokers
// acknowledged all of them. End would flush too, but would commit records
// that failed.
func (s *stage) produce(ctx context.Context, recs []*kgo.Record) error {
	var produced produceErr
	for _, rec := range recs {
		s.sess.Produce(ctx, rec, func(r *kgo.Record, err error) {
			if err != nil {
				produced.set(fmt.Errorf("produce %s: %w", header(r, schemas.HeaderType), err))
			}
		})
	}
	if err := s.sess.Client().Flush(ctx); err != nil {
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

// startAfter runs f in the background once a slot is free, then publishes
// its outputs. The input is already committed, so publishing is retried
// until it lands; shutdown waits for it (RunStage).
func (s *stage) startAfter(ctx context.Context, f func(context.Context) []Output) {
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
		err := s.follow.ProduceSync(pctx, recs...).FirstErr()
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
