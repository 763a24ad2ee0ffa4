package ingress

import (
	"context"
	"sync"

	"github.com/jitgate/jitgate/internal/bus"
)

// replies hands each event of the responses topic addressed to this replica
// to the agent connection waiting for it. Every replica tails the whole
// topic and skips other replicas' replies by their reply-to header without
// decoding them (see docs/architecture.md for why this over a partition per
// replica).
type replies struct {
	mu      sync.Mutex
	waiting map[string]waiter
}

// waiter is one agent connection waiting; gone closes when it stops, so a
// delivery blocked on its full buffer gives up instead of stalling the tail.
//
// ch carries pointers: a buffer of 64 messages by value was 18 KiB
// allocated per call, the ingress's largest allocation (7.5 % of
// `jitgate dev`'s bytes at 8 clients), for the one response.ready most
// calls receive.
type waiter struct {
	ch   chan *bus.Message
	gone chan struct{}
}

func newReplies() *replies {
	return &replies{waiting: map[string]waiter{}}
}

// wait registers interest in requestID's reply. Register before publishing
// the request, so that a fast reply is never missed. The channel is
// buffered: a response.ready and its body chunks queue up in order.
func (r *replies) wait(requestID string) (<-chan *bus.Message, func()) {
	w := waiter{ch: make(chan *bus.Message, 64), gone: make(chan struct{})}
	r.mu.Lock()
	r.waiting[requestID] = w
	r.mu.Unlock()
	return w.ch, func() {
		r.mu.Lock()
		delete(r.waiting, requestID)
		r.mu.Unlock()
		close(w.gone)
	}
}

// deliver routes one consumed reply. A reply nobody waits for any more (the
// agent gave up) is dropped: the recorder still has it.
func (r *replies) deliver(ctx context.Context, m bus.Message) {
	r.mu.Lock()
	w, ok := r.waiting[m.Envelope.RequestID]
	r.mu.Unlock()
	if !ok {
		return
	}
	select {
	case w.ch <- &m:
	case <-w.gone:
	case <-ctx.Done():
	}
}
