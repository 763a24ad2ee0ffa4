package bus

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

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
	// MaxBatch bounds the events per call. Default 5000.
	MaxBatch int
	// RetryPause is the first wait after a failed batch; it doubles up to
	// one minute. Default 1s.
	RetryPause time.Duration
	// QuietRetries leaves reporting a failing sink to the handler, which
	// knows how to say it once rather than on every retry.
	QuietRetries bool
	Logger       *slog.Logger
}

// RunBatches consumes cfg.Topics as cfg.Group and hands batches to h,
// committing offsets only after h succeeded: nothing is lost while the sink
// is down, and the stage catches up when it is back. Undecodable records are
// passed on with an empty envelope and their raw value, so a sink can still
// keep them.
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
		cfg.RetryPause = time.Second
	}
	log := logger(cfg.Logger)
	cl, err := kgo.NewClient(cfg.Bus.groupOpts(cfg.Group, cfg.Topics,
		kgo.DisableAutoCommit(),
		kgo.BlockRebalanceOnPoll(),
	)...)
	if err != nil {
		return fmt.Errorf("bus: %s: %w", cfg.Group, err)
	}
	defer cl.Close()
	for {
		fetches := cl.PollRecords(ctx, cfg.MaxBatch)
		if ctx.Err() != nil {
			cl.AllowRebalance()
			return nil
		}
		fetches.EachError(func(topic string, p int32, err error) {
			log.Warn("fetch failed", "topic", topic, "partition", p, "err", err)
		})
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
		pause := cfg.RetryPause
		for {
			err := h(ctx, ms)
			if err == nil {
				break
			}
			if ctx.Err() != nil {
				cl.AllowRebalance()
				return nil
			}
			if !cfg.QuietRetries {
				log.Warn("batch not stored; will retry (nothing is lost)", "events", len(ms), "err", err, "retry_in", pause)
			}
			select {
			case <-ctx.Done():
				cl.AllowRebalance()
				return nil
			case <-time.After(pause):
			}
			pause = min(2*pause, time.Minute)
		}
		if err := cl.CommitRecords(ctx, recs...); err != nil {
			log.Warn("offset commit failed; the batch may be stored again (the sink is idempotent)", "err", err)
		}
		cl.AllowRebalance()
	}
}
