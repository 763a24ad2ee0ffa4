package bus

import (
	"context"
	"fmt"
	"sync"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/jitgate/jitgate/schemas"
)

// Stream publishes a sequence of events (a body's chunks) in order, a few
// at a time, so that a body of any size passes through a fixed amount of
// memory, and tells where the first one landed. Publisher.Stream makes one.
type Stream interface {
	// Send queues o; it blocks while StreamWindow events are unacknowledged
	// and returns the first failure of any earlier Send. A chunk's data is
	// copied: the caller may reuse its buffer once Send returns.
	Send(ctx context.Context, o Output) error
	// Close waits until every sent event is acknowledged and returns the
	// record of the first one (the zero RecordRef if none was sent).
	Close(ctx context.Context) (first schemas.RecordRef, err error)
}

// StreamWindow is how many events a Stream keeps in flight: enough to
// keep the broker busy, few enough (with ChunkSize chunks, 2 MiB) to
// bound memory per body.
const StreamWindow = 4

// Stream starts a stream of events on p's producer. Events with the same
// key (the request id) land on one partition in the order sent.
func (p *Publisher) Stream() Stream {
	return &stream{cfg: p.cfg, cl: p.cl, slots: make(chan struct{}, StreamWindow)}
}

type stream struct {
	cfg   Config
	cl    *kgo.Client
	slots chan struct{}
	wg    sync.WaitGroup

	mu    sync.Mutex
	err   error
	sent  int
	first schemas.RecordRef
}

func (s *stream) Send(ctx context.Context, o Output) error {
	if err := s.failed(); err != nil {
		return err
	}
	select {
	case s.slots <- struct{}{}:
	case <-ctx.Done():
		return ctx.Err()
	}
	rec, release, err := s.cfg.streamRecord(o)
	if err != nil {
		<-s.slots
		return err
	}
	s.mu.Lock()
	seq := s.sent
	s.sent++
	s.mu.Unlock()
	s.wg.Add(1)
	s.cl.Produce(ctx, rec, func(r *kgo.Record, err error) {
		defer s.wg.Done()
		defer func() { <-s.slots }()
		defer release()
		s.mu.Lock()
		defer s.mu.Unlock()
		switch {
		case err != nil && s.err == nil:
			s.err = fmt.Errorf("bus: publish %s: %w", o.Envelope.Type, err)
		case err == nil && seq == 0:
			s.first = schemas.RecordRef{Topic: r.Topic, Partition: r.Partition, Offset: r.Offset}
		}
	})
	return nil
}

func (s *stream) failed() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.err
}

func (s *stream) Close(ctx context.Context) (schemas.RecordRef, error) {
	done := make(chan struct{})
	go func() { s.wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-ctx.Done():
		return schemas.RecordRef{}, ctx.Err()
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.first, s.err
}

// chunkBufs recycles the buffers Stream copies chunk data into: a body
// moves through a few buffers per stream instead of one new ChunkSize
// allocation per chunk.
var chunkBufs = sync.Pool{New: func() any { b := make([]byte, 0, ChunkSize); return &b }}

// streamRecord builds o's record for Send. A chunk's record value would be
// the caller's buffer (the chunk record form carries the data raw), which
// callers reuse as soon as Send returns: Send copies it into a pooled
// buffer, which release hands back once the record is acknowledged.
func (cfg Config) streamRecord(o Output) (rec *kgo.Record, release func(), err error) {
	rec, err = cfg.record(o)
	if err != nil || !schemas.IsChunk(o.Envelope.Type) || len(rec.Value) > ChunkSize {
		return rec, func() {}, err
	}
	buf := chunkBufs.Get().(*[]byte)
	*buf = append((*buf)[:0], rec.Value...)
	rec.Value = *buf
	return rec, func() { chunkBufs.Put(buf) }, nil
}
