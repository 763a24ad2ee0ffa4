package bus

import (
	"context"
	"fmt"
	"log/slog"
	"slices"

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
	// target holds, per topic and partition, the end offset as of NewTail;
	// caughtUp closes once every partition was read up to it.
	target   map[string]map[int32]int64
	caughtUp chan struct{}
	// read is how far each partition was read (tailmark.go).
	read readTo
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
	log = logger(log)
	full := cfg.topics(topics)
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
	t := &Tail{cfg: cfg, log: log, target: map[string]map[int32]int64{}, caughtUp: make(chan struct{})}
	parts := map[string]map[int32]kgo.Offset{}
	ends.Each(func(o kadm.ListedOffset) {
		if parts[o.Topic] == nil {
			parts[o.Topic] = map[int32]kgo.Offset{}
		}
		if from == FromStart {
			parts[o.Topic][o.Partition] = kgo.NewOffset().AtStart()
			if o.Offset > 0 {
				if t.target[o.Topic] == nil {
					t.target[o.Topic] = map[int32]int64{}
				}
				t.target[o.Topic][o.Partition] = o.Offset
			}
		} else {
			parts[o.Topic][o.Partition] = kgo.NewOffset().At(o.Offset)
			t.read.from(o.Topic, o.Partition, o.Offset)
		}
	})
	return t.start(parts)
}

// start connects the tail at parts once target is filled in.
func (t *Tail) start(parts map[string]map[int32]kgo.Offset) (*Tail, error) {
	t.checkCaughtUp()
	// Control records (transaction markers) are kept so that the read
	// position is known exactly; Run skips them.
	var err error
	t.cl, err = kgo.NewClient(t.cfg.clientOpts(kgo.ConsumePartitions(parts), kgo.KeepControlRecords())...)
	if err != nil {
		return nil, fmt.Errorf("bus: tail: %w", err)
	}
	return t, nil
}

// CaughtUp is closed once the tail has read every record that existed when
// NewTail returned (at once for FromEnd). Roles that rebuild state from a
// topic wait for it before acting on that state.
func (t *Tail) CaughtUp() <-chan struct{} { return t.caughtUp }

// advance notes that r was read and closes caughtUp when every partition
// reached its target.
func (t *Tail) advance(r *kgo.Record) {
	t.read.note(r)
	if len(t.target) == 0 {
		return
	}
	if end, ok := t.target[r.Topic][r.Partition]; ok && r.Offset+1 >= end {
		delete(t.target[r.Topic], r.Partition)
		if len(t.target[r.Topic]) == 0 {
			delete(t.target, r.Topic)
		}
	}
	t.checkCaughtUp()
}

func (t *Tail) checkCaughtUp() {
	if len(t.target) == 0 {
		select {
		case <-t.caughtUp:
		default:
			close(t.caughtUp)
		}
	}
}

// Filter decides from a record's reply-to header whether to decode it.
// A nil Filter keeps every record.
type Filter func(replyTo string) bool

// Run calls fn for every record that passes keep, in partition order, until
// ctx ends. Records that do not decode are logged and skipped.
func (t *Tail) Run(ctx context.Context, keep Filter, fn func(Message)) error {
	return t.run(ctx, func(r *kgo.Record) bool { return keep == nil || keep(header(r, schemas.HeaderReplyTo)) }, fn)
}

// RunTypes is Run for records whose type header names one of types: the
// others (large response chunks, say) are skipped without decoding.
func (t *Tail) RunTypes(ctx context.Context, types []schemas.Type, fn func(Message)) error {
	return t.run(ctx, func(r *kgo.Record) bool { return slices.Contains(types, schemas.Type(header(r, schemas.HeaderType))) }, fn)
}

// Seen is what a record's headers say about it, for readers that need to
// know an event was written, not what it says.
type Seen struct {
	Topic     string // suffix
	Partition int32
	Offset    int64
	Type      schemas.Type
	RequestID string
}

// RunTypesSeen is RunTypes that also reports records of the types in seen
// to seenFn from their headers alone, never decoding them: the executor
// learns that a call finished without reading its (possibly large) answer.
func (t *Tail) RunTypesSeen(ctx context.Context, types []schemas.Type, fn func(Message), seen []schemas.Type, seenFn func(Seen)) error {
	return t.run(ctx, func(r *kgo.Record) bool {
		typ := schemas.Type(header(r, schemas.HeaderType))
		if slices.Contains(seen, typ) {
			seenFn(Seen{Topic: t.cfg.Suffix(r.Topic), Partition: r.Partition, Offset: r.Offset, Type: typ, RequestID: header(r, schemas.HeaderRequestID)})
			return false
		}
		return slices.Contains(types, typ)
	}, fn)
}

// run decodes and hands fn every data record that keep accepts from its
// headers alone.
func (t *Tail) run(ctx context.Context, keep func(*kgo.Record) bool, fn func(Message)) error {
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
			if r.Attrs.IsControl() || !keep(r) {
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
