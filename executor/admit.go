package executor

import (
	"fmt"
	"time"

	"github.com/jitgate/jitgate/internal/bus"
	"github.com/jitgate/jitgate/schemas"
)

// admit decides whether an allow decision may run. Kafka is a network
// others may write to, so before anything runs:
//   - the decision's whole envelope must verify under the decision key,
//     written by a decider (schemas.Verify), and name the request its
//     envelope is for: anything else is forged and refused without an
//     execution.finished (an untrusted payload speaks for no request; the
//     real decision, if any, still arrives);
//   - the request's deadline must not have passed: a late decision
//     (replayed, or an executor far behind) is refused, with an
//     execution.finished error when the request never ran, so it keeps
//     one terminal outcome;
//   - the deadline must lie within MaxWait of now, so that the executed
//     set, rebuilt over that window after a restart, still covers it;
//   - the request id must not have started before (executed.claim): a
//     replay of an authentic decision is refused.
//
// Every refusal that may be an attack is logged once and returned as a
// security.refused event among outs. ok is true when the call may run.
func (e *Executor) admit(m bus.Message, d *schemas.DecisionMade) (outs []bus.Output, ok bool, err error) {
	env, id, now := m.Envelope, m.Envelope.RequestID, e.now()
	if verr := schemas.Verify(env, e.cfg.DecisionKey); verr != nil {
		return e.refuse(m, schemas.SecurityForgedEvent, fmt.Errorf("%w: %v", ErrForged, verr), nil)
	}
	if d.RequestID != id {
		return e.refuse(m, schemas.SecurityForgedEvent,
			fmt.Errorf("%w: it decides request %q but travels as request %q", ErrForged, d.RequestID, id), nil)
	}
	if !now.Before(d.Request.Deadline) {
		cause := fmt.Errorf("%w: the agent stopped waiting at %s; retry the call", ErrPastDeadline, d.Request.Deadline.UTC().Format(time.RFC3339))
		var fin []bus.Output
		if !e.done.startedBefore(id, m.Ref(e.cfg.Bus)) {
			// The request never ran: end it once, with this error.
			if fin, err = e.failed(id, 1, d, cause, 0); err != nil {
				return nil, false, err
			}
			e.done.claim(id, m.Ref(e.cfg.Bus), now.Add(replayMargin), now)
		}
		return e.refuse(m, schemas.SecurityReplayedEvent, cause, fin)
	}
	if limit := now.Add(e.cfg.MaxWait + replayMargin); d.Request.Deadline.After(limit) {
		e.log.Error("refusing a decision whose deadline lies beyond the executor's replay window; raise --max-wait to the ingresses' --wait",
			"request_id", id, "deadline", d.Request.Deadline, "max_wait", e.cfg.MaxWait)
		fin, err := e.failed(id, 1, d, fmt.Errorf("%w (deadline %s)", ErrDeadlineTooFar, d.Request.Deadline.UTC().Format(time.RFC3339)), 0)
		return fin, false, err
	}
	if !e.done.claim(id, m.Ref(e.cfg.Bus), d.Request.Deadline.Add(replayMargin), now) {
		return e.refuse(m, schemas.SecurityReplayedEvent, fmt.Errorf("%w: request %s", ErrReplayed, id), nil)
	}
	return nil, true, nil
}

// refuse logs a refused decision as a security event and adds the
// security.refused event to outs.
func (e *Executor) refuse(m bus.Message, kind string, cause error, outs []bus.Output) ([]bus.Output, bool, error) {
	env := m.Envelope
	e.log.Warn("security: refusing a decision", "kind", kind, "request_id", env.RequestID, "event_id", env.ID,
		"producer", env.Producer, "topic", m.Topic, "partition", m.Partition, "offset", m.Offset, "err", cause)
	r, err := bus.EventRefusal("executor", e.producer, kind, cause.Error(), m, e.now())
	if err != nil {
		return nil, false, err
	}
	return append(outs, r), false, nil
}
