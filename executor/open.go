package executor

import (
	"sync"
	"time"

	"github.com/jitgate/jitgate/schemas"
)

// openCall is a call whose execution.started was read from the executions
// topic and whose execution.finished was not (yet).
type openCall struct {
	id       string
	started  schemas.ExecutionStarted
	at       time.Time // the started event's time
	producer string    // the started event's producer, "executor/INSTANCE"
	// partition is the decisions partition the request belongs to: the
	// replica owning it resolves the call if it stays open.
	partition int32
}

// mine is a call this process started and has not seen finish.
type mine struct {
	since   time.Time
	running bool // false once the call returned (its outcome is on its way)
}

// calls tracks the open calls every executor started (from the executions
// tail), the calls this process runs (begin, end), and the calls this
// process is resolving, so that recovery (recover.go) can tell a call whose
// executor is gone from one still running.
type calls struct {
	mu        sync.Mutex
	open      map[string]openCall
	mine      map[string]mine
	resolving map[string]bool
}

func newCalls() *calls {
	return &calls{open: map[string]openCall{}, mine: map[string]mine{}, resolving: map[string]bool{}}
}

// started records an execution.started read from the topic; a later
// attempt replaces an earlier one.
func (c *calls) started(oc openCall) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if prev, ok := c.open[oc.id]; ok && prev.started.Attempt > oc.started.Attempt {
		return
	}
	c.open[oc.id] = oc
}

// finished records an execution.finished read from the topic: the call is
// closed, whoever wrote it.
func (c *calls) finished(id string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.open, id)
	delete(c.mine, id)
	delete(c.resolving, id)
}

// begin marks id as running in this process, from the moment its
// execution.started is built (before it commits, so that the tail can never
// show this process's own start as someone else's).
func (c *calls) begin(id string, now time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.mine[id] = mine{since: now, running: true}
}

// end marks id's call as returned: its outcome is being published.
func (c *calls) end(id string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if m, ok := c.mine[id]; ok {
		m.running = false
		c.mine[id] = m
	}
}

// candidate is an open call with what this process knows of it.
type candidate struct {
	openCall
	mine, running bool
}

// candidates returns the open calls nobody in this process is resolving,
// and forgets calls of this process that never committed a start (their
// transaction aborted) once they are older than keep.
func (c *calls) candidates(now time.Time, keep time.Duration) []candidate {
	c.mu.Lock()
	defer c.mu.Unlock()
	for id, m := range c.mine {
		if _, ok := c.open[id]; !ok && now.Sub(m.since) > keep {
			delete(c.mine, id)
		}
	}
	out := make([]candidate, 0, len(c.open))
	for id, oc := range c.open {
		if c.resolving[id] {
			continue
		}
		m, ok := c.mine[id]
		out = append(out, candidate{openCall: oc, mine: ok, running: ok && m.running})
	}
	return out
}

// claim marks id as being resolved here; false if it already is.
func (c *calls) claim(id string) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.resolving[id] {
		return false
	}
	c.resolving[id] = true
	return true
}

// release undoes claim after a resolution that could not be published, so
// that the next round tries again.
func (c *calls) release(id string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.resolving, id)
}
