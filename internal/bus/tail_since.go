package bus

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
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
