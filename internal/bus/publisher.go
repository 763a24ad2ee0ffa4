package bus

import (
	"context"
	"errors"
	"fmt"

	"github.com/twmb/franz-go/pkg/kgo"
)

// Publisher writes events outside any consumer group (the ingress and the
// operator commands). Records with the same key keep their order.
type Publisher struct {
	cfg Config
	cl  *kgo.Client
	// group sends concurrent Publish calls together (group.go).
	group *groupProducer
}

// NewPublisher connects a publisher.
func NewPublisher(cfg Config) (*Publisher, error) {
	cfg.setDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cl, err := kgo.NewClient(cfg.clientOpts()...)
	if err != nil {
		return nil, fmt.Errorf("bus: publisher: %w", err)
	}
	return &Publisher{cfg: cfg, cl: cl, group: &groupProducer{cl: cl}}, nil
}

// Publish writes outs and waits until the brokers acknowledged all of them.
// Concurrent calls share produce requests: a call made while another's
// records are in flight goes with the next request (group.go).
func (p *Publisher) Publish(ctx context.Context, outs ...Output) error {
	recs := make([]*kgo.Record, 0, len(outs))
	for _, o := range outs {
		r, err := p.cfg.record(o)
		if err != nil {
			return err
		}
		recs = append(recs, r)
	}
	if err := p.group.produce(ctx, recs); err != nil {
		return fmt.Errorf("bus: publish: %w", err)
	}
	return nil
}

// Close flushes nothing (Publish is synchronous) and disconnects.
func (p *Publisher) Close() { p.cl.Close() }

// MayHaveLanded reports whether a Publish that failed with err may still
// have written its records: it gave up waiting (its context ended, or the
// client's record timeout or retry limit ran out), which is not an answer
// refusing them. A caller must not tell anyone such records were not
// written.
func MayHaveLanded(err error) bool {
	return errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) ||
		errors.Is(err, kgo.ErrRecordTimeout) || errors.Is(err, kgo.ErrRecordRetries)
}
