package bus

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
)

// BatchHandler stores a batch of events somewhere outside Kafka. It must be
// idempotent: after a crash the same events may come again.
type BatchHandler func(ctx context.Context, ms []Message) error

// BatchConfig configures RunBatches.
type BatchConfig struct {
	Bus    Config
	Group  string
	Topics []string
	// Instance, when set, is the consumer's stable identity in the group:
	// its static member id (kgo.InstanceID), as StageConfig.Instance. A
	// process restarted with the same Instance takes its partitions back
	// at once instead of after a session timeout and a rebalance; a clean
	// stop leaves the group, so they move at once; a process whose
	// Instance another one took over stops with ErrFenced. Empty: a
	// dynamic member.
	Instance string
	// MaxBatch bounds the events per call. Default 5000.
	MaxBatch int
	// RetryPause is the first wait after a failed batch; it doubles up to
	// one minute. Default 1s.
	RetryPause time.Duration
	// MaxAttempts is how many times in a row a batch may panic before the
	// loop looks for the records that make it panic (by handing the
	// handler halves of the batch) and dead-letters them. Errors never
	// dead-letter anything: they say the sink is down, not that an event
	// is bad. Default 5.
	MaxAttempts int
	// QuietRetries leaves reporting a failing sink to the handler, which
	// knows how to say it once rather than on every retry.
	QuietRetries bool
	// Hooks are told about failures, panics and dead letters (hooks.go).
	Hooks  []Hook
	Logger *slog.Logger
}

// RunBatches consumes cfg.Topics as cfg.Group and hands batches to h,
// committing offsets only after h succeeded: nothing is lost while the sink
// is down, and the stage catches up when it is back. Undecodable records are
// passed on with an empty envelope and their raw value, so a sink can still
// keep them. A panic in h is recovered and counted as a failed try; a
// batch that keeps panicking is narrowed down to the records that do, which
// are dead-lettered (see BatchConfig.MaxAttempts).
func RunBatches(ctx context.Context, cfg BatchConfig, h BatchHandler) error {
	cfg.Bus.setDefaults()
	if err := cfg.Bus.Validate(); err != nil {
		return err
	}
	if cfg.Group == "" || len(cfg.Topics) == 0 {
		return errors.New("bus: batch consumer needs a group and topics")
	}
	if cfg.MaxBatch <= 0 {
		cfg.MaxBatch = 5000
	}
	if cfg.RetryPause <= 0 {
		cfg.RetryPause = DefaultRetryPause
	}
	if cfg.MaxAttempts <= 0 {
		cfg.MaxAttempts = DefaultMaxAttempts
	}
	log := logger(cfg.Logger).With("group", cfg.Group)
	opts := []kgo.Opt{kgo.DisableAutoCommit(), kgo.BlockRebalanceOnPoll(), withKgoLogger(log)}
	// guard closes the client the moment the group fences its instance
	// (membership.go), as RunStage's does: franz-go joins again after its
	// retry backoff once the batch in hand allows the rebalance, and that
	// join would take the instance back from the process that just took
	// it over, before this loop (busy storing a batch, for minutes if the
	// sink is down) has seen the fencing.
	guard := &fenceGuard{}
	if cfg.Instance != "" {
		log = log.With("instance", cfg.Instance)
		opts = append(opts, kgo.InstanceID(cfg.Instance), kgo.WithHooks(guard))
	}
	cl, err := kgo.NewClient(cfg.Bus.groupOpts(cfg.Group, cfg.Topics, opts...)...)
	if err != nil {
		return fmt.Errorf("bus: %s: %w", cfg.Group, err)
	}
	guard.bind(func() {
		// A batch in hand blocks the rebalance Close waits for.
		cl.AllowRebalance()
		cl.Close()
	})
	closed := false
	defer func() {
		if !closed {
			cl.Close()
		}
	}()
	// stop ends a clean shutdown. A static member does not leave the
	// group when its client closes; it leaves explicitly (from another
	// client, once its own is closed and cannot rejoin).
	stop := func() error {
		cl.AllowRebalance()
		if cfg.Instance == "" {
			return nil
		}
		cl.Close()
		closed = true
		other, err := kgo.NewClient(cfg.Bus.clientOpts(withKgoLogger(log))...)
		if err != nil {
			log.Warn("could not leave the group; its partitions move after the session timeout", "err", err)
			return nil
		}
		defer other.Close()
		leaveGroup(ctx, other, cfg.Group, cfg.Instance, log)
		return nil
	}
	// fencedStop ends the loop when another process took this instance
	// over: without leaving (that would evict the other), as RunStage
	// does. The client closes with the rebalance allowed, or it would
	// wait for it for ever.
	fencedStop := func(err error) error {
		if !fenced(err) {
			// What the loop met was the guard's close; the cause was
			// the fence.
			err = fmt.Errorf("group membership: %w", kerr.FencedInstanceID)
		}
		log.Error("fenced: another process took over this consumer's instance id; stopping (give every replica its own --instance)", "err", err)
		cl.AllowRebalance()
		return fencedError(cfg.Group, cfg.Instance, err)
	}
	b := &batcher{cfg: cfg, cl: cl, h: h, log: log, hooks: hooks(cfg.Hooks)}
	for {
		fetches := cl.PollRecords(ctx, cfg.MaxBatch)
		if ctx.Err() != nil {
			return stop()
		}
		if guard.fenced.Load() {
			return fencedStop(nil)
		}
		var fencedBy error
		fetches.EachError(func(topic string, p int32, err error) {
			if cfg.Instance != "" && fenced(err) {
				fencedBy = err
				return
			}
			log.Warn("fetch failed", "topic", topic, "partition", p, "err", err)
		})
		if fencedBy != nil {
			return fencedStop(fencedBy)
		}
		recs := fetches.Records()
		if len(recs) == 0 {
			cl.AllowRebalance()
			continue
		}
		ms := make([]Message, 0, len(recs))
		for _, r := range recs {
			m, err := cfg.Bus.message(r)
			if err != nil {
				log.Error("passing on undecodable record", "err", err)
			}
			ms = append(ms, m)
		}
		if !b.store(ctx, recs, ms) {
			return stop()
		}
		if err := cl.CommitRecords(ctx, recs...); err != nil {
			if cfg.Instance != "" && (fenced(err) || guard.fenced.Load()) {
				return fencedStop(err)
			}
			log.Warn("offset commit failed; the batch may be stored again (the sink is idempotent)", "err", err)
		}
		cl.AllowRebalance()
	}
}

type batcher struct {
	cfg   BatchConfig
	cl    *kgo.Client
	h     BatchHandler
	log   *slog.Logger
	hooks hooks
}

// store hands ms to the handler until it succeeds, backing off between
// tries; a batch that panicked MaxAttempts times is narrowed down
// (isolate). It returns false when ctx ended first.
func (b *batcher) store(ctx context.Context, recs []*kgo.Record, ms []Message) bool {
	pause := b.cfg.RetryPause
	for attempt := 1; ; attempt++ {
		err := callBatch(ctx, b.h, ms)
		var p *PanicError
		if errors.As(err, &p) && b.panicked(err) && attempt >= b.cfg.MaxAttempts {
			err = b.narrow(ctx, recs, ms, p, attempt)
		}
		if err == nil {
			return true
		}
		if ctx.Err() != nil {
			return false
		}
		b.hooks.failure(b.cfg.Group, attempt, err)
		if !b.cfg.QuietRetries {
			b.log.Warn("batch not stored; will retry (nothing is lost)", "events", len(ms), "attempt", attempt, "err", err, "retry_in", pause)
		}
		select {
		case <-ctx.Done():
			return false
		case <-time.After(pause):
		}
		pause = min(2*pause, time.Minute)
	}
}

// panicked reports (and logs, and counts) a recovered panic.
func (b *batcher) panicked(err error) bool {
	var p *PanicError
	if !errors.As(err, &p) {
		return false
	}
	b.hooks.panicked(b.cfg.Group, p)
	b.log.Error("batch handler panicked; counted as a failure", "panic", p.Value, "stack", string(p.Stack))
	return true
}

// narrow looks for the records of ms, which just panicked with p, that
// panic on their own, by storing halves, and dead-letters those: a bad
// event must not stop the sink for ever. The handler is idempotent, so
// storing a half again is harmless. An error (the sink is down) ends the
// search; the whole batch is retried.
func (b *batcher) narrow(ctx context.Context, recs []*kgo.Record, ms []Message, p *PanicError, attempts int) error {
	if len(ms) == 1 {
		return b.deadLetter(ctx, recs[0], p, attempts)
	}
	half := len(ms) / 2
	for _, part := range [][2]int{{0, half}, {half, len(ms)}} {
		rs, part := recs[part[0]:part[1]], ms[part[0]:part[1]]
		err := callBatch(ctx, b.h, part)
		if err == nil {
			continue
		}
		var pp *PanicError
		if !errors.As(err, &pp) {
			return err
		}
		b.panicked(err)
		if err := b.narrow(ctx, rs, part, pp, attempts); err != nil {
			return err
		}
	}
	return nil
}

// deadLetter publishes r's dead letter.
func (b *batcher) deadLetter(ctx context.Context, r *kgo.Record, p *PanicError, attempts int) error {
	rec, dl, err := b.cfg.Bus.deadLetter(b.cfg.Group, b.cfg.Group, r, deadLetterKind(p), p, attempts, time.Now())
	if err != nil {
		return err
	}
	if err := b.cl.ProduceSync(ctx, rec).FirstErr(); err != nil {
		return fmt.Errorf("bus: publish dead letter: %w", err)
	}
	b.log.Error("dead-lettered a record; its partition moves on", "kind", dl.Kind, "reason", dl.Reason,
		"topic", dl.Topic, "partition", dl.Partition, "offset", dl.Offset, "type", dl.Type, "event_id", dl.EventID,
		"dead_letter", DeadLetterID(b.cfg.Group, dl.Topic, dl.Partition, dl.Offset))
	b.hooks.deadLettered(b.cfg.Group, dl)
	return nil
}
