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
// written at or after since (by record timestamp), so a replica rebuilds
// short-lived state (recently used signatures) without replaying a whole
// topic. CaughtUp closes once every record that existed when NewTailSince
// returned has been read.
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
	defer admCl.Close()
	adm := kadm.NewClient(admCl)
	// End offsets first: everything before them is what CaughtUp waits for.
	ends, err := adm.ListEndOffsets(ctx, full...)
	if err == nil {
		err = ends.Error()
	}
	if err != nil {
		return nil, fmt.Errorf("bus: tail: list end offsets of %v: %w", full, err)
	}
	starts, err := adm.ListOffsetsAfterMilli(ctx, since.UnixMilli(), full...)
	if err == nil {
		err = starts.Error()
	}
	if err != nil {
		return nil, fmt.Errorf("bus: tail: list offsets of %v after %s: %w", full, since.Format(time.RFC3339), err)
	}
	t := &Tail{cfg: cfg, log: logger(log), target: map[string]map[int32]int64{}, caughtUp: make(chan struct{})}
	parts := map[string]map[int32]kgo.Offset{}
	ends.Each(func(end kadm.ListedOffset) {
		if parts[end.Topic] == nil {
			parts[end.Topic] = map[int32]kgo.Offset{}
		}
		// No record at or after since (or one written between the two
		// listings): start at the end, nothing to catch up on.
		from := end.Offset
		if s, ok := starts.Lookup(end.Topic, end.Partition); ok && s.Offset >= 0 && s.Offset < end.Offset {
			from = s.Offset
			if t.target[end.Topic] == nil {
				t.target[end.Topic] = map[int32]int64{}
			}
			t.target[end.Topic][end.Partition] = end.Offset
		}
		parts[end.Topic][end.Partition] = kgo.NewOffset().At(from)
	})
	return t.start(parts)
}
