package bus

import (
	"bytes"
	"context"
	"encoding/json"
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
	// and returns the first failure of any earlier Send.
	Send(ctx context.Context, o Output) error
	// Close waits until every sent event is acknowledged and returns the
	// record of the first one (the zero RecordRef if none was sent).
	Close(ctx context.Context) (first schemas.RecordRef, err error)
}

// StreamWindow is how many events a Stream keeps in flight: enough to
// keep the broker busy, few enough (with ChunkSize chunks, about 3 MiB
// encoded) to bound memory per body.
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
	rec, err := s.cfg.streamRecord(o)
	if err != nil {
		return err
	}
	select {
	case s.slots <- struct{}{}:
	case <-ctx.Done():
		return ctx.Err()
	}
	s.mu.Lock()
	seq := s.sent
	s.sent++
	s.mu.Unlock()
	s.wg.Add(1)
	s.cl.Produce(ctx, rec, func(r *kgo.Record, err error) {
		defer s.wg.Done()
		defer func() { <-s.slots }()
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

// streamRecord builds o's record like record does, without making
// encoding/json re-scan the payload: a chunk's payload (hundreds of KiB of
// base64, already compact from NewEnvelope) is spliced in as it is. The
// rescan was the largest single cost of moving a body (a third of the
// gateway's CPU in a 512 MiB upload's profile).
func (cfg Config) streamRecord(o Output) (*kgo.Record, error) {
	raw := o.Envelope.Payload
	if o.Envelope.Auth != "" || len(raw) == 0 {
		return cfg.record(o)
	}
	o.Envelope.Payload = json.RawMessage("0")
	rec, err := cfg.record(o)
	if err != nil {
		return nil, err
	}
	head, ok := bytes.CutSuffix(rec.Value, []byte(`"payload":0}`))
	if !ok {
		o.Envelope.Payload = raw
		return cfg.record(o)
	}
	v := make([]byte, 0, len(head)+len(`"payload":}`)+len(raw))
	v = append(append(append(append(v, head...), `"payload":`...), raw...), '}')
	if len(v) > MaxRecordBytes {
		return nil, &TooLargeError{Type: o.Envelope.Type, Size: len(v)}
	}
	rec.Value = v
	return rec, nil
}
