package bus

import (
	"context"
	"fmt"
	"sync"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
)

// readTo is how far a tail has read each partition: the offset after the
// last record it consumed, control records (transaction markers) included,
// so that a partition whose last record is a commit marker reads as read
// to its end.
type readTo struct {
	mu  sync.Mutex
	pos map[topicPartition]int64
}

type topicPartition struct {
	topic     string
	partition int32
}

func (r *readTo) note(rec *kgo.Record) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.pos == nil {
		r.pos = map[topicPartition]int64{}
	}
	r.pos[topicPartition{rec.Topic, rec.Partition}] = rec.Offset + 1
}

// from sets where a tail starts reading partition.
func (r *readTo) from(topic string, partition int32, offset int64) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.pos == nil {
		r.pos = map[topicPartition]int64{}
	}
	r.pos[topicPartition{topic, partition}] = offset
}

func (r *readTo) at(topic string, partition int32) int64 {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.pos[topicPartition{topic, partition}]
}

// Mark is the end of one topic's partitions at one moment, as a tail
// measures its progress against it.
type Mark struct {
	t     *Tail
	topic string
	// ends are the partitions' end offsets; empty marks the partitions
	// that held no record at the mark (retention removed them all).
	ends  map[int32]int64
	empty map[int32]bool
}

// Mark lists the end offsets (high watermarks) of topic (a suffix the tail
// reads) now. A role that acts on the absence of an event in its view (the
// decider expiring a hold nobody approved) waits until its tail Reached
// the mark, so that every event written before the mark is in the view.
// The high watermark counts records of open transactions, which a
// read-committed tail passes only once their transaction ends: reaching
// it waits for them too.
func (t *Tail) Mark(ctx context.Context, topic string) (Mark, error) {
	full := t.cfg.Topic(topic)
	adm := kadm.NewClient(t.cl)
	// The start offsets first: a partition whose start reaches the end
	// listed after it had nothing to read before the mark.
	starts, err := adm.ListStartOffsets(ctx, full)
	if err == nil {
		err = starts.Error()
	}
	var ends kadm.ListedOffsets
	if err == nil {
		ends, err = adm.ListEndOffsets(ctx, full)
	}
	if err == nil {
		err = ends.Error()
	}
	if err != nil {
		return Mark{}, fmt.Errorf("bus: tail: list offsets of %s: %w", full, err)
	}
	m := Mark{t: t, topic: full, ends: map[int32]int64{}, empty: map[int32]bool{}}
	ends.Each(func(o kadm.ListedOffset) { m.ends[o.Partition] = o.Offset })
	starts.Each(func(o kadm.ListedOffset) { m.empty[o.Partition] = o.Offset >= m.ends[o.Partition] })
	return m, nil
}

// Reached reports whether the tail has read partition up to the mark. A
// partition the mark does not know (the zero Mark, a partition added
// since) is not reached.
func (m Mark) Reached(partition int32) bool {
	end, ok := m.ends[partition]
	if !ok || m.t == nil {
		return false
	}
	return m.empty[partition] || m.t.read.at(m.topic, partition) >= end
}
