package bus

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/jitgate/jitgate/schemas"
)

// Tail reads whole topics outside any consumer group: every ingress replica
// tails the responses topic for its own replies, and roles that keep state
// (holds, grants) replay their topics from the start on boot.
type Tail struct {
	cfg Config
	cl  *kgo.Client
	log *slog.Logger
}

// TailFrom says where a tail starts.
type TailFrom int

const (
	// FromEnd starts at the end offsets as of NewTail's return: every record
	// written after NewTail returns is seen.
	FromEnd TailFrom = iota
	// FromStart replays each topic from its first retained record.
	FromStart
)

// NewTail positions a reader on topics (suffixes). With FromEnd the end
// offsets are read before NewTail returns, so nothing written afterwards is
// missed.
func NewTail(ctx context.Context, cfg Config, from TailFrom, log *slog.Logger, topics ...string) (*Tail, error) {
	cfg.setDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if log == nil {
		log = slog.Default()
	}
	full := make([]string, len(topics))
	for i, t := range topics {
		full[i] = cfg.Topic(t)
	}
	opts := cfg.clientOpts()
	if from == FromStart {
		opts = append(opts, kgo.ConsumeTopics(full...), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
	} else {
		admCl, err := kgo.NewClient(cfg.clientOpts()...)
		if err != nil {
			return nil, fmt.Errorf("bus: tail: %w", err)
		}
		ends, err := kadm.NewClient(admCl).ListEndOffsets(ctx, full...)
		admCl.Close()
		if err == nil {
			err = ends.Error()
		}
		if err != nil {
			return nil, fmt.Errorf("bus: tail: list end offsets of %v: %w", full, err)
		}
		parts := map[string]map[int32]kgo.Offset{}
		ends.Each(func(o kadm.ListedOffset) {
			if parts[o.Topic] == nil {
				parts[o.Topic] = map[int32]kgo.Offset{}
			}
			parts[o.Topic][o.Partition] = kgo.NewOffset().At(o.Offset)
		})
		opts = append(opts, kgo.ConsumePartitions(parts))
	}
	cl, err := kgo.NewClient(opts...)
	if err != nil {
		return nil, fmt.Errorf("bus: tail: %w", err)
	}
	return &Tail{cfg: cfg, cl: cl, log: log}, nil
}

// Filter decides from a record's reply-to header whether to decode it.
// A nil Filter keeps every record.
type Filter func(replyTo string) bool

// Run calls fn for every record that passes keep, in partition order, until
// ctx ends. Records that do not decode are logged and skipped.
func (t *Tail) Run(ctx context.Context, keep Filter, fn func(Message)) error {
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
			if keep != nil && !keep(header(r, schemas.HeaderReplyTo)) {
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

// Close stops the tail if Run was never called.
func (t *Tail) Close() { t.cl.Close() }
