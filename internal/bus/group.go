package bus

import (
	"context"
	"sync"
	"sync/atomic"

	"github.com/twmb/franz-go/pkg/kgo"
)

// groupProducer sends the records of concurrent callers in one produce
// request (group commit): while one batch is on its way to the brokers,
// the records of every caller that arrives queue up, and go together as
// the next batch once it is acknowledged. A caller that finds nothing in
// flight is sent at once, so a lone call waits no longer than with
// ProduceSync; under load there is one request per round trip instead of
// one per caller.
//
// Why: ProduceSync drains its records at once (it stops franz-go's
// linger), and an idempotent producer keeps up to five requests in flight
// per broker, so concurrent callers each cost the broker a Produce
// request. Through the roles on Kafka 4.4 at 32 clients that was one
// Produce per call from the ingress and 0.7 per call from the executor's
// execution.finished (see docs/performance.md), on a machine where the
// broker's CPU per request bounds throughput.
//
// Order: batches go one at a time, in arrival order, so records with the
// same key keep the order in which their callers queued them.
type groupProducer struct {
	cl *kgo.Client

	mu      sync.Mutex
	queue   []*groupReq
	running bool
}

// groupReq is one caller's records and where its outcome goes.
type groupReq struct {
	ctx  context.Context
	recs []*kgo.Record
	done chan error // buffered: the sender never blocks on a caller that left
}

// produce sends recs with the next batch and waits until the brokers
// acknowledged all of them, or ctx ends. Like ProduceSync, it returns the
// first error of its own records; a caller whose ctx ended gets ctx's
// error, and its records may still be written (MayHaveLanded), since
// another caller's records share the request. A batch abandons records
// not yet sent only once every one of its callers gave up.
func (g *groupProducer) produce(ctx context.Context, recs []*kgo.Record) error {
	if len(recs) == 0 {
		return nil
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	r := &groupReq{ctx: ctx, recs: recs, done: make(chan error, 1)}
	g.mu.Lock()
	g.queue = append(g.queue, r)
	lead := !g.running
	g.running = true
	g.mu.Unlock()
	if lead {
		go g.run()
	}
	select {
	case err := <-r.done:
		return err
	case <-ctx.Done():
		return ctx.Err()
	}
}

// run sends batches until the queue is empty.
func (g *groupProducer) run() {
	for {
		g.mu.Lock()
		batch := g.queue
		g.queue = nil
		if len(batch) == 0 {
			g.running = false
			g.mu.Unlock()
			return
		}
		g.mu.Unlock()
		g.send(batch)
	}
}

// send produces one batch and tells each caller the outcome of its own
// records.
func (g *groupProducer) send(queued []*groupReq) {
	// Callers that left while queued: their records are never sent.
	batch := queued[:0]
	for _, r := range queued {
		if err := r.ctx.Err(); err != nil {
			r.done <- err
			continue
		}
		batch = append(batch, r)
	}
	switch len(batch) {
	case 0:
		return
	case 1:
		// One caller: its own context, exactly as ProduceSync.
		batch[0].done <- g.cl.ProduceSync(batch[0].ctx, batch[0].recs...).FirstErr()
		return
	}
	// Records not yet sent are abandoned only once every caller left.
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var waiting atomic.Int32
	waiting.Store(int32(len(batch)))
	owner := make(map[*kgo.Record]*groupReq, len(batch))
	var all []*kgo.Record
	for _, r := range batch {
		stop := context.AfterFunc(r.ctx, func() {
			if waiting.Add(-1) == 0 {
				cancel()
			}
		})
		defer stop()
		for _, rec := range r.recs {
			owner[rec] = r
		}
		all = append(all, r.recs...)
	}
	errs := make(map[*groupReq]error, len(batch))
	for _, res := range g.cl.ProduceSync(ctx, all...) {
		if r := owner[res.Record]; r != nil && res.Err != nil && errs[r] == nil {
			errs[r] = res.Err
		}
	}
	for _, r := range batch {
		r.done <- errs[r]
	}
}
