package bus

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime/debug"
	"sync"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
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
	// After, if set, runs once Out and the input offset are committed. Its
	// outputs are published in a transaction of their own. The executor uses
	// it to call AWS only after execution.started is durable, so that a call
	// is never made twice.
	After func(ctx context.Context) []Output
}

// StageConfig configures RunStage.
type StageConfig struct {
	Bus Config
	// Group is the consumer group, e.g. "jitgate-decider".
	Group string
	// Topics are the topic suffixes to consume.
	Topics []string
	// Instance distinguishes this process in the group; it makes the
	// transactional id unique. Required.
	Instance string
	// Parallel bounds how many After functions run at once. Default 16.
	Parallel int
	// RetryPause is the wait after a failed batch. Default 1s.
	RetryPause time.Duration
	Logger     *slog.Logger
}

// RunStage consumes cfg.Topics as cfg.Group and runs h on every event until
// ctx ends. It returns nil when ctx is cancelled.
func RunStage(ctx context.Context, cfg StageConfig, h Handler) error {
	cfg.Bus.setDefaults()
	if err := cfg.Bus.Validate(); err != nil {
		return err
	}
	if cfg.Group == "" || cfg.Instance == "" || len(cfg.Topics) == 0 {
		return errors.New("bus: stage needs a group, an instance id and topics")
	}
	if cfg.Parallel <= 0 {
		cfg.Parallel = 16
	}
	if cfg.RetryPause <= 0 {
		cfg.RetryPause = time.Second
	}
	log := logger(cfg.Logger)
	sess, err := kgo.NewGroupTransactSession(cfg.Bus.groupOpts(cfg.Group, cfg.Topics,
		kgo.TransactionalID(cfg.Group+"/"+cfg.Instance),
		kgo.RequireStableFetchOffsets(),
	)...)
	if err != nil {
		return fmt.Errorf("bus: %s: %w", cfg.Group, err)
	}
	defer sess.Close()
	s := &stage{cfg: cfg, sess: sess, h: h, log: log.With("group", cfg.Group)}
	for {
		fetches := sess.PollFetches(ctx)
		if ctx.Err() != nil {
			return nil
		}
		fetches.EachError(func(topic string, p int32, err error) {
			s.log.Warn("fetch failed", "topic", topic, "partition", p, "err", err)
		})
		if fetches.Empty() {
			continue
		}
		if err := s.batch(ctx, fetches); err != nil {
			if ctx.Err() != nil {
				return nil
			}
			if errors.Is(err, ErrNotReady) {
				s.log.Debug("batch waits", "err", err)
			} else {
				s.log.Warn("batch not committed; will retry", "err", err)
			}
			select {
			case <-ctx.Done():
				return nil
			case <-time.After(cfg.RetryPause):
			}
		}
	}
}

type stage struct {
	cfg  StageConfig
	sess *kgo.GroupTransactSession
	h    Handler
	log  *slog.Logger
}

// batch handles one poll's records in one transaction.
func (s *stage) batch(ctx context.Context, fetches kgo.Fetches) error {
	if err := s.sess.Begin(); err != nil {
		return fmt.Errorf("begin transaction: %w", err)
	}
	var (
		afters []func(context.Context) []Output
		failed error
	)
	fetches.EachRecord(func(r *kgo.Record) {
		if failed != nil {
			return
		}
		m, err := s.cfg.Bus.message(r)
		if err != nil {
			// A record no handler can read would block the partition for
			// ever: log it loudly and move on (the recorder keeps it).
			s.log.Error("skipping undecodable record", "err", err)
			return
		}
		res, err := s.handle(ctx, m)
		if err != nil {
			failed = fmt.Errorf("%s %s: %w", m.Envelope.Type, m.Envelope.RequestID, err)
			return
		}
		if err := s.produce(ctx, res.Out); err != nil {
			failed = err
			return
		}
		if res.After != nil {
			afters = append(afters, res.After)
		}
	})
	commit := kgo.TransactionEndTry(failed == nil)
	committed, err := s.end(ctx, commit)
	switch {
	case failed != nil:
		return failed
	case err != nil:
		return fmt.Errorf("commit: %w", err)
	case !committed:
		return errors.New("transaction aborted by a rebalance")
	}
	if len(afters) == 0 {
		return nil
	}
	return s.runAfters(ctx, afters)
}

// end finishes the open transaction even when ctx is already cancelled: a
// transaction left open on shutdown would stall the next group member
// until the broker's transaction timeout.
func (s *stage) end(ctx context.Context, commit kgo.TransactionEndTry) (bool, error) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
	defer cancel()
	return s.sess.End(ctx, commit)
}

// handle runs the handler, turning a panic into an error.
func (s *stage) handle(ctx context.Context, m Message) (res Result, err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("handler panic: %v\n%s", p, debug.Stack())
		}
	}()
	return s.h(ctx, m)
}

func (s *stage) produce(ctx context.Context, outs []Output) error {
	for _, o := range outs {
		rec, err := s.cfg.Bus.record(o)
		if err != nil {
			return err
		}
		if err := s.sess.ProduceSync(ctx, rec).FirstErr(); err != nil {
			return fmt.Errorf("produce %s: %w", o.Envelope.Type, err)
		}
	}
	return nil
}

// runAfters runs the committed batch's follow-up work concurrently and
// publishes what it returns in one transaction. The inputs are already
// committed, so a failure here is retried until it lands or ctx ends.
func (s *stage) runAfters(ctx context.Context, afters []func(context.Context) []Output) error {
	var (
		mu   sync.Mutex
		outs []Output
		wg   sync.WaitGroup
		sem  = make(chan struct{}, s.cfg.Parallel)
	)
	for _, f := range afters {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			o := f(ctx)
			mu.Lock()
			outs = append(outs, o...)
			mu.Unlock()
		}()
	}
	wg.Wait()
	for {
		err := s.publishAlone(ctx, outs)
		if err == nil || ctx.Err() != nil {
			return err
		}
		s.log.Warn("publishing follow-up events failed; retrying", "err", err)
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(s.cfg.RetryPause):
		}
	}
}

func (s *stage) publishAlone(ctx context.Context, outs []Output) error {
	if err := s.sess.Begin(); err != nil {
		return err
	}
	perr := s.produce(ctx, outs)
	committed, err := s.end(ctx, kgo.TransactionEndTry(perr == nil))
	switch {
	case perr != nil:
		return perr
	case err != nil:
		return err
	case !committed:
		return errors.New("follow-up transaction aborted")
	}
	return nil
}
