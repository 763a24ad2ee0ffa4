package executor

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jitgate/jitgate/internal/bus"
	"github.com/jitgate/jitgate/schemas"
)

// Recovery ends the calls an executor crash left open: execution.started
// committed, execution.finished never written, because the process died
// between the two (the call may or may not have reached AWS).
//
// Every replica tails the executions topic (executed.go) and keeps the open
// calls (open.go). Once a second, each replica looks at the open calls whose
// request belongs to a decisions partition it owns (bus.Owned: decisions
// are keyed by request id, so one replica owns a request at a time) and
// takes a call for abandoned when
//   - an earlier process with this replica's own Instance started it, and
//     this process does not run it: instance ids are unique among live
//     processes (a restarted stage fences its predecessor), so that process
//     is gone — the common case, a kill -9 and a restart, resolved at once;
//   - or it started more than Timeout + RecoverMargin ago and this process
//     does not run it: Timeout bounds how long a call may go without
//     progress, so the executor that started it (another replica, since
//     dropped from the group) is gone or its call has failed.
//
// A call this process runs is never taken for abandoned, however long it
// takes. An abandoned call ends
//   - for a safe-to-repeat call whose first attempt it was and whose
//     deadline has not passed: with one retry, from its decision record
//     read again and verified (execution.started attempt 2, then the call
//     as usual). A call is safe to repeat when it only reads
//     (ExecutionStarted.ReadOnly, from the model) or when its request
//     carries an idempotency token (ExecutionStarted.IdempotencyToken: the
//     operation has botocore's idempotencyToken member, such as ec2
//     RunInstances ClientToken, and the request a non-empty value, which
//     SDKs fill): the retry sends the same bytes, hence the same token,
//     and AWS runs a token it has seen once, answering as it did the
//     first time. The retry's events have ids of their own (eventID);
//   - otherwise: with execution.finished carrying ErrorKind
//     schemas.ErrorOutcomeUnknown, which the masker turns into an error
//     telling the agent the outcome is unknown, naming the request id.
//     Its event id (REQUEST_ID/execution.finished/unknown) and time (the
//     start's, plus a microsecond) derive from the started event, so two
//     replicas that both resolve it (ownership overlaps briefly around a
//     rebalance) write the same event, and the recorder keeps one.
//
// Limits: a call that keeps making progress for longer than Timeout +
// RecoverMargin in a process that is alive but no longer in the group (a
// long upload during a graceful stop, a frozen process) is ended as
// outcome-unknown by the new owner; its real execution.finished, if it
// comes, follows. Started events older than the tail's window
// (recoverWindow) when no executor runs are never seen: `jitgate audit
// unknown` lists them.

// recoverEvery is how often open calls are looked at.
const recoverEvery = time.Second

// recoverWindow is how far back the executions tail reads at start: far
// enough to refuse replays (MaxWait) and to see every call that may still
// have to be recovered by the time bound.
func (c Config) recoverWindow() time.Duration {
	return max(c.MaxWait, c.Timeout+c.RecoverMargin) + replayMargin
}

// action is what recovery does with one open call.
type action int

const (
	leave   action = iota // still running, not ours, or not abandoned yet
	unknown               // end it as outcome-unknown
	retry                 // run the read-only or token-bearing call once more
)

// repeatable reports whether the call s started may be sent again: it
// only reads, or AWS recognises its second sending by its idempotency
// token.
func repeatable(readOnly bool, token string) bool { return readOnly || token != "" }

// verdict decides what to do with an open call. owns says whether this
// replica owns the call's decisions partition.
func (e *Executor) verdict(c candidate, owns bool, now time.Time) action {
	if !owns || c.running {
		return leave
	}
	predecessor := !c.mine && c.producer == e.producer
	if !predecessor && now.Before(c.at.Add(e.cfg.Timeout+e.cfg.RecoverMargin)) {
		return leave
	}
	s := c.started
	if repeatable(s.ReadOnly, s.IdempotencyToken) && s.Attempt < 2 && s.Decision != nil && now.Before(s.Deadline) {
		return retry
	}
	return unknown
}

// recoverLoop resolves abandoned calls until ctx ends, then waits for the
// retries it started.
func (e *Executor) recoverLoop(ctx context.Context, owned *bus.Owned) {
	defer e.retries.Wait()
	t := time.NewTicker(recoverEvery)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			e.recoverOnce(ctx, owned.Owns)
		}
	}
}

// recoverOnce looks at every open call once. Retries run in the background
// (e.retries).
func (e *Executor) recoverOnce(ctx context.Context, owns func(topic string, partition int32) bool) {
	now := e.now()
	for _, c := range e.calls.candidates(now, e.cfg.recoverWindow()) {
		a := e.verdict(c, owns(schemas.TopicDecisions, c.partition), now)
		if a == leave || !e.calls.claim(c.id) {
			continue
		}
		e.log.Warn("recovering a call whose executor stopped before its outcome was recorded",
			"request_id", c.id, "started_by", c.producer, "started_at", c.at, "attempt", c.started.Attempt,
			"read_only", c.started.ReadOnly, "idempotency_token", c.started.IdempotencyToken != "", "action", map[action]string{unknown: "outcome unknown", retry: "retry"}[a])
		if a == unknown {
			if err := e.endUnknown(ctx, c.openCall, ""); err != nil {
				e.log.Error("cannot record an outcome-unknown call; will try again", "request_id", c.id, "err", err)
				e.calls.release(c.id)
			}
			continue
		}
		e.retries.Add(1)
		go func() {
			defer e.retries.Done()
			e.retryCall(context.WithoutCancel(ctx), c.openCall)
		}()
	}
}

// endUnknown publishes the outcome-unknown execution.finished of c. why,
// if set, says why a repeatable call was not retried.
func (e *Executor) endUnknown(ctx context.Context, c openCall, why string) error {
	msg := fmt.Sprintf("%v (request %s, started %s by %s)", ErrOutcomeUnknown, c.id, c.at.UTC().Format(time.RFC3339), c.producer)
	if why != "" {
		msg += "; not retried: " + why
	}
	s := c.started
	env, err := schemas.NewEnvelope(c.id+"/"+string(schemas.TypeExecutionFinished)+"/unknown", c.id, e.producer,
		c.at.Add(time.Microsecond), &schemas.ExecutionFinished{
			ReplyTo: s.ReplyTo, Service: s.Service, Operation: s.Operation, Protocol: s.Protocol,
			Error: msg, ErrorKind: schemas.ErrorOutcomeUnknown,
		})
	if err != nil {
		return err
	}
	out := bus.Output{Topic: schemas.TopicExecutions, Key: c.id, ReplyTo: s.ReplyTo, Envelope: env}
	return e.publishFor(ctx, out)
}

// retryCall runs an abandoned read-only or token-bearing call once more,
// from its decision record, verified again. Anything that stops the retry ends the call as
// outcome-unknown instead.
func (e *Executor) retryCall(ctx context.Context, c openCall) {
	fail := func(why string) {
		if err := e.endUnknown(ctx, c, why); err != nil {
			e.log.Error("cannot record an outcome-unknown call; will try again", "request_id", c.id, "err", err)
			e.calls.release(c.id)
		}
	}
	rctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	d, err := e.readDecision(rctx, *c.started.Decision, c.id)
	cancel()
	if err != nil {
		e.log.Warn("cannot retry a call: its decision cannot be read", "request_id", c.id, "err", err)
		fail("its decision could not be read again: " + err.Error())
		return
	}
	if !e.now().Before(d.Request.Deadline) {
		fail("its deadline passed")
		return
	}
	t, err := e.target(&d.Request)
	if err != nil {
		fail(err.Error())
		return
	}
	const attempt = 2
	started, err := e.attemptEvent(c.id, attempt, 0, &schemas.ExecutionStarted{
		Attempt: attempt, Endpoint: strings.TrimSuffix(t.Base.String(), "/") + d.Request.HTTP.Path,
		ReadOnly: d.Request.ReadOnly, IdempotencyToken: d.Request.IdempotencyToken, ReplyTo: d.Request.ReplyTo,
		Service: d.Request.Service, Operation: d.Request.Operation, Protocol: d.Request.Protocol,
		Deadline: d.Request.Deadline, Decision: c.started.Decision,
	})
	if err != nil {
		fail(err.Error())
		return
	}
	e.calls.begin(c.id, e.now())
	if err := e.publishFor(ctx, started); err != nil {
		// It may have been written all the same; if so, the time bound
		// ends it as outcome-unknown, else the next round retries.
		e.log.Error("cannot record the retry's start; not retrying now", "request_id", c.id, "err", err)
		e.calls.end(c.id)
		e.calls.release(c.id)
		return
	}
	call := &call{e: e, id: c.id, d: d, target: t, attempt: attempt}
	outs := call.run(ctx)
	e.calls.end(c.id)
	if err := e.publishFor(ctx, outs...); err != nil {
		e.log.Error("cannot publish a retried call's outcome; it will end as outcome unknown", "request_id", c.id, "err", err)
	}
}

// readDecisionRecord is the default readDecision: it reads the decision record at ref and checks it as admit
// does: sealed by a decider, an allow for request id, repeatable.
func (e *Executor) readDecisionRecord(ctx context.Context, ref schemas.RecordRef, id string) (*schemas.DecisionMade, error) {
	rec, err := bus.ReadRecord(ctx, e.cfg.Bus, ref.Topic, ref.Partition, ref.Offset)
	if err != nil {
		return nil, err
	}
	env, err := schemas.Unmarshal(rec.Value)
	if err != nil {
		return nil, err
	}
	return checkDecision(env, e.cfg.DecisionKey, id)
}

// checkDecision verifies a decision read again for a retry.
func checkDecision(env schemas.Envelope, key []byte, id string) (*schemas.DecisionMade, error) {
	if err := schemas.Verify(env, key); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrForged, err)
	}
	d, err := schemas.DecodeAs[*schemas.DecisionMade](env)
	if err != nil {
		return nil, err
	}
	switch {
	case env.RequestID != id || d.RequestID != id:
		return nil, fmt.Errorf("%w: the record decides request %q, not %q", ErrForged, d.RequestID, id)
	case d.Outcome != schemas.Allow || !repeatable(d.Request.ReadOnly, d.Request.IdempotencyToken):
		return nil, errors.New("the record is not an allow of a read-only or token-bearing call")
	}
	return d, nil
}

// publishFor publishes outs on the executor's own producer, trying for up
// to a minute.
func (e *Executor) publishFor(ctx context.Context, outs ...bus.Output) error {
	if len(outs) == 0 {
		return nil
	}
	ctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	return e.publish(ctx, outs...)
}

// publishOwn is the default publish: the executor's publisher, shared with
// its response streams.
func (e *Executor) publishOwn(ctx context.Context, outs ...bus.Output) error {
	e.pubOnce.Do(func() { e.pub, e.pubErr = bus.NewPublisher(e.cfg.Bus) })
	if e.pubErr != nil {
		return e.pubErr
	}
	return e.pub.Publish(ctx, outs...)
}
