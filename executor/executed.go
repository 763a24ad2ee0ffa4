package executor

import (
	"context"
	"sync"
	"time"

	"github.com/jitgate/jitgate/internal/bus"
	"github.com/jitgate/jitgate/schemas"
)

// replayMargin is added to MaxWait wherever the executor decides how long
// to remember a request id: it absorbs clock skew between the ingress that
// set a deadline and this executor, and the lag of the executions tail.
const replayMargin = time.Minute

// executed remembers the request ids this executor, or any other, started,
// until their deadlines have passed (past its deadline a decision is
// refused anyway). It is how an authentic decision replayed on Kafka is
// refused instead of run twice.
//
// It learns from two sources: the decisions this replica claims (claim),
// and every execution.started on the executions topic (learn), read from
// MaxWait + replayMargin ago at start and kept up to date while running.
// Decisions are keyed by request id, so one replica owns a request id's
// partition at a time and sees every decision for it.
type executed struct {
	mu sync.Mutex
	// ids maps a request id to when it may be forgotten and, while only
	// this replica's claim is known, the decision record that claimed it.
	ids       map[string]executedEntry
	lastPrune time.Time
}

type executedEntry struct {
	until time.Time
	// by is the decision record that claimed the id; nil once an
	// execution.started for it was read (committed, whoever wrote it).
	by *schemas.RecordRef
}

func newExecuted() *executed { return &executed{ids: map[string]executedEntry{}} }

// claim records that the decision at ref starts request id, to be
// remembered until until. It reports false when the id was started
// before by any other record: the decision is a replay. The same record
// may claim again: a batch that aborted (a failed produce, a rebalance)
// is handled again, and its first claim never ran.
func (x *executed) claim(id string, ref schemas.RecordRef, until, now time.Time) bool {
	x.mu.Lock()
	defer x.mu.Unlock()
	x.pruneLocked(now)
	if e, ok := x.ids[id]; ok && (e.by == nil || *e.by != ref) {
		return false
	}
	x.ids[id] = executedEntry{until: until, by: &ref}
	return true
}

// startedBefore reports whether request id may have started, other than
// by an earlier handling of the decision at ref itself: a committed
// execution.started was read, or another record claimed it. This record's
// own claim does not count: the record is handled again only because the
// transaction of its claim aborted (a failed produce, a rebalance, a broker
// restart), and the call runs only after that transaction commits, so it
// never ran.
func (x *executed) startedBefore(id string, ref schemas.RecordRef) bool {
	x.mu.Lock()
	defer x.mu.Unlock()
	e, ok := x.ids[id]
	return ok && (e.by == nil || *e.by != ref)
}

// learn records an execution.started read from the executions topic: the
// id ran (its transaction committed), whoever claimed it.
func (x *executed) learn(id string, until time.Time) {
	x.mu.Lock()
	defer x.mu.Unlock()
	if e, ok := x.ids[id]; ok && e.until.After(until) {
		until = e.until
	}
	x.ids[id] = executedEntry{until: until}
}

// pruneLocked forgets ids whose time is up, at most every few seconds.
func (x *executed) pruneLocked(now time.Time) {
	if now.Sub(x.lastPrune) < 5*time.Second {
		return
	}
	x.lastPrune = now
	for id, e := range x.ids {
		if now.After(e.until) {
			delete(x.ids, id)
		}
	}
}

// followExecutions rebuilds e.done and e.calls from the execution.started
// and execution.finished events written in the recovery window (which
// covers MaxWait + replayMargin) and keeps them current until ctx ends.
// execution.finished is noted from its headers, never decoded. The
// returned channel closes once the log up to start was read.
func (e *Executor) followExecutions(ctx context.Context) (<-chan struct{}, <-chan error, error) {
	tail, err := bus.NewTailSince(ctx, e.cfg.Bus, e.now().Add(-e.cfg.recoverWindow()), e.log, schemas.TopicExecutions)
	if err != nil {
		return nil, nil, err
	}
	done := make(chan error, 1)
	go func() {
		done <- tail.RunTypesSeen(ctx, []schemas.Type{schemas.TypeExecutionStarted}, e.seeStarted,
			[]schemas.Type{schemas.TypeExecutionFinished}, func(s bus.Seen) { e.calls.finished(s.RequestID) })
	}()
	return tail.CaughtUp(), done, nil
}

// seeStarted notes an execution.started read from the executions topic:
// its request id ran (replays are refused) and its call is open until its
// execution.finished is read.
func (e *Executor) seeStarted(m bus.Message) {
	if err := schemas.Verify(m.Envelope, e.cfg.DecisionKey); err != nil {
		e.log.Warn("security: ignoring an execution.started no executor sealed",
			"kind", schemas.SecurityForgedEvent, "request_id", m.Envelope.RequestID, "event_id", m.Envelope.ID,
			"producer", m.Envelope.Producer, "partition", m.Partition, "offset", m.Offset, "err", err)
		return
	}
	// A started call's deadline is at most MaxWait after it started.
	e.done.learn(m.Envelope.RequestID, m.Envelope.Time.Add(e.cfg.MaxWait+replayMargin))
	s, err := schemas.DecodeAs[*schemas.ExecutionStarted](m.Envelope)
	if err != nil {
		e.log.Error("cannot read a sealed execution.started; its call cannot be recovered", "request_id", m.Envelope.RequestID, "err", err)
		return
	}
	// Decisions and executions are both keyed by request id; events
	// written before starts named their decision fall back on the
	// executions partition, which is the same with equal partition counts.
	partition := m.Partition
	if s.Decision != nil {
		partition = s.Decision.Partition
	}
	e.calls.started(openCall{id: m.Envelope.RequestID, started: *s, at: m.Envelope.Time, producer: m.Envelope.Producer, partition: partition})
}
