package bus

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/jitgate/jitgate/schemas"
)

// NewTailSince positions a reader on topics (suffixes) at the first record
// written at or after since (by record timestamp), so a role can rebuild
// recent state without replaying a whole topic. CaughtUp closes once every
// record that existed when NewTailSince returned, from there on, was read.
func NewTailSince(ctx context.Context, cfg Config, since time.Time, log *slog.Logger, topics ...string) (*Tail, error) {
	cfg.setDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	full := cfg.topics(topics)
	admCl, err := kgo.NewClient(cfg.clientOpts()...)
	if err != nil {
		return nil, fmt.Errorf("bus: tail: %w", err)
	}
	adm := kadm.NewClient(admCl)
	// End offsets first: whatever is written after them is not needed to
	// catch up, and a start past them is impossible.
	ends, err := adm.ListEndOffsets(ctx, full...)
	if err == nil {
		err = ends.Error()
	}
	var starts kadm.ListedOffsets
	if err == nil {
		starts, err = adm.ListOffsetsAfterMilli(ctx, since.UnixMilli(), full...)
		if err == nil {
			err = starts.Error()
		}
	}
	admCl.Close()
	if err != nil {
		return nil, fmt.Errorf("bus: tail: list offsets of %v since %s: %w", full, since.UTC().Format(time.RFC3339), err)
	}
	t := &Tail{cfg: cfg, log: logger(log), target: map[string]map[int32]int64{}, caughtUp: make(chan struct{})}
	parts := map[string]map[int32]kgo.Offset{}
	ends.Each(func(end kadm.ListedOffset) {
		start := end.Offset
		if s, ok := starts.Lookup(end.Topic, end.Partition); ok && s.Offset >= 0 && s.Offset < end.Offset {
			start = s.Offset
		}
		if parts[end.Topic] == nil {
			parts[end.Topic] = map[int32]kgo.Offset{}
		}
		parts[end.Topic][end.Partition] = kgo.NewOffset().At(start)
		if start < end.Offset {
			if t.target[end.Topic] == nil {
				t.target[end.Topic] = map[int32]int64{}
			}
			t.target[end.Topic][end.Partition] = end.Offset
		}
	})
	t.checkCaughtUp()
	t.cl, err = kgo.NewClient(cfg.clientOpts(kgo.ConsumePartitions(parts), kgo.KeepControlRecords())...)
	if err != nil {
		return nil, fmt.Errorf("bus: tail: %w", err)
	}
	return t, nil
}

// RunTypes is Run for records whose type header names one of types: the
// others (large response chunks, say) are skipped without decoding.
func (t *Tail) RunTypes(ctx context.Context, types []schemas.Type, fn func(Message)) error {
	defer t.cl.Close()
	for {
		fetches := t.cl.PollFetches(ctx)
		if ctx.Err() != nil {
			return nil
		}
		fetches.EachError(func(topic string, p int32, err error) {
			t.log.Warn("tail fetch failed", "topic", topic, "partition", p, "err", err)
		})
		fetches.EachRecord(func(r *kgo.Record) {
			defer t.advance(r)
			if r.Attrs.IsControl() || !slices.Contains(types, schemas.Type(header(r, schemas.HeaderType))) {
				return
			}
			m, err := t.cfg.message(r)
			if err != nil {
				t.log.Error("tail: skipping undecodable record", "err", err)
				return
			}
			fn(m)
		})
	}
}
