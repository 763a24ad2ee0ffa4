package decider

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/jitgate/jitgate/internal/bus"
	"github.com/jitgate/jitgate/internal/holds"
	"github.com/jitgate/jitgate/internal/ids"
	"github.com/jitgate/jitgate/schemas"
)

// errNotYetApplied makes the stage loop retry an event until this decider's
// view of the holds log has caught up with it.
var errNotYetApplied = fmt.Errorf("decider: holds view has not applied this event yet: %w", bus.ErrNotReady)

// followHolds rebuilds the holds and grants view from Kafka and keeps it
// current. The tail's CaughtUp closes once the log written before start
// has been read; its Mark tells the expirer how far the view has read.
func (d *Decider) followHolds(ctx context.Context) (*bus.Tail, error) {
	tail, err := bus.NewTail(ctx, d.cfg.Bus, bus.FromStart, d.log, schemas.TopicHolds, schemas.TopicGrants)
	if err != nil {
		return nil, err
	}
	go tail.Run(ctx, nil, func(m bus.Message) {
		// The partition a hold opened in names the decider that expires it
		// (expiry.go).
		err := d.holds.ApplyFrom(m.Envelope, m.Partition)
		var forged *holds.ForgedError
		switch {
		case errors.As(err, &forged):
			// Every replica reports it from its own tail, each time it
			// replays the log; the refusal's id comes from the record, so
			// the audit log keeps one per record.
			bus.ReportRefusedEvent(ctx, d.deps.Publisher, d.log, "decider", d.producer, schemas.SecurityForgedEvent, forged, m, d.deps.Now())
		case err != nil:
			d.log.Warn("holds event not applied", "type", m.Envelope.Type, "request_id", m.Envelope.RequestID, "err", err)
		}
	})
	return tail, nil
}

// handleHoldEvent acts on the hold lifecycle: the approval that completes a
// hold opens its grant and, while the agent still waits, lets the call run;
// a denial or expiry answers a waiting agent. A hold that ends after its
// agent stopped waiting ends its request `held`.
func (d *Decider) handleHoldEvent(m bus.Message) (bus.Result, error) {
	switch m.Envelope.Type {
	case schemas.TypeApprovalGiven, schemas.TypeHoldDenied, schemas.TypeHoldExpired:
	default:
		return bus.Result{}, nil
	}
	if err := schemas.Verify(m.Envelope, d.cfg.HoldsKey); err != nil {
		// Forged: the view refused it (and the tail recorded that), so it
		// will never be Seen; waiting for it would stall the partition.
		d.log.Debug("forged holds event skipped", "event_id", m.Envelope.ID, "err", err)
		return bus.Result{}, nil
	}
	if !d.holds.Seen(m.Envelope.ID) {
		return bus.Result{}, errNotYetApplied
	}
	id := m.Envelope.RequestID
	h, ok := d.holds.Hold(id)
	if !ok {
		d.log.Warn("event for an unknown hold ignored", "type", m.Envelope.Type, "request_id", id)
		return bus.Result{}, nil
	}
	now := d.deps.Now()
	switch m.Envelope.Type {
	case schemas.TypeApprovalGiven:
		return d.approved(h, m.Envelope.ID, now)
	case schemas.TypeHoldDenied:
		if !endedBy(h, holds.StateDenied, m.Envelope) {
			return bus.Result{}, nil
		}
		msg := fmt.Sprintf("jitgate: %s:%s was denied by %s: %s (request id %s)", h.Request.Service, h.Request.Operation, h.ResolvedBy, h.ResolvedReason, id)
		return d.answerEnded(h, m.Envelope, now, msg)
	default: // hold.expired
		if !endedBy(h, holds.StateExpired, m.Envelope) {
			return bus.Result{}, nil
		}
		return d.answerEnded(h, m.Envelope, now, fmt.Sprintf("jitgate: the hold on %s:%s expired without a decision (request id %s)", h.Request.Service, h.Request.Operation, id))
	}
}

// endedBy reports whether env, a hold.denied or hold.expired event, is the
// one that ended h as st: a later denial or expiry (another approver, a
// second decider replica's expiry) was ignored by the view and must not
// answer the agent again. The view records when a hold ended, not which
// event ended it, so the event's time stands for it.
func endedBy(h holds.Hold, st holds.State, env schemas.Envelope) bool {
	return h.State == st && h.ResolvedAt.Equal(env.Time)
}

// answerID names the event the decider writes in answer to the event
// eventID: the same on every replay, so a view that applied the answer
// once recognises (Seen) and ignores it.
func answerID(kind, eventID string) string {
	b := sha256.Sum256([]byte("jitgate/decider/" + kind + "/" + eventID))
	b[6] = b[6]&0x0f | 0x50 // name-based UUID layout
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

// approved completes a hold when eventID is exactly the approval that
// reaches the rule's count (so replays and concurrent approvals complete it
// once). The hold.approved and grant ids derive from eventID: a redelivered
// approval whose hold.approved is already in view does nothing, and one
// that races it opens the same grant rather than a second one.
func (d *Decider) approved(h holds.Hold, eventID string, now time.Time) (bus.Result, error) {
	crossed, approvals, err := d.holds.Crossing(h.RequestID, eventID)
	if err != nil || !crossed {
		return bus.Result{}, nil // invalid or not decisive: the ingress already told the caller
	}
	approvedID := answerID(string(schemas.TypeHoldApproved), eventID)
	if d.holds.Seen(approvedID) {
		return bus.Result{}, nil // a replay: this approval was acted on already
	}
	names := make([]string, len(approvals))
	for i, a := range approvals {
		names[i] = holds.Identity(a.By)
	}
	var res bus.Result
	approvedEv := &schemas.HoldApproved{Approvers: names}
	// The window starts at the deciding approval, so a replay opens the same one.
	grant, err := holds.NewGrant(h, approvals, answerID(string(schemas.TypeGrantOpened), eventID), approvals[len(approvals)-1].At)
	if err != nil {
		d.log.Error("approved hold opens no grant", "request_id", h.RequestID, "err", err)
	}
	if grant != nil {
		approvedEv.GrantID = grant.GrantID
	}
	if err := d.addAs(&res, approvedID, schemas.TopicHolds, h.RequestID, h.RequestID, approvedEv); err != nil {
		return bus.Result{}, err
	}
	if grant != nil {
		if err := d.add(&res, schemas.TopicGrants, grant.GrantID, h.RequestID, grant); err != nil {
			return bus.Result{}, err
		}
	}
	if now.After(h.Request.Deadline) {
		// The agent stopped waiting, told that its call awaits approval:
		// the call does not run (its retry passes through the grant), and
		// the request ends here.
		msg := fmt.Sprintf("jitgate: %s:%s was approved by %s after the agent stopped waiting at %s; it was not run: retry it (request id %s)",
			h.Request.Service, h.Request.Operation, strings.Join(names, ", "), h.Request.Deadline.UTC().Format(time.RFC3339), h.RequestID)
		ready, err := d.ended(h, answerID(string(schemas.TypeResponseReady), eventID), approvals[len(approvals)-1].At, schemas.OutcomeHeld, msg)
		if err != nil {
			return bus.Result{}, err
		}
		res.Out = append(res.Out, ready)
		return res, nil
	}
	dec := &schemas.DecisionMade{
		RequestID:  h.RequestID,
		Outcome:    schemas.Allow,
		Rule:       h.Rule,
		Reason:     "approved by " + strings.Join(names, ", "),
		PolicyHash: d.Policy().Hash(),
		Role:       h.ExecRole,
		Request:    h.Request,
		Body:       h.Body,
	}
	if grant != nil {
		dec.GrantID = grant.GrantID
	}
	if err := d.add(&res, schemas.TopicDecisions, h.RequestID, h.RequestID, dec); err != nil {
		return bus.Result{}, err
	}
	return res, nil
}

// answerEnded ends the request of a hold that was denied or expired, by
// the event ended: a waiting agent is denied; one that stopped waiting
// (it was told its call awaits approval) is not answered again, and its
// request ends `held`.
func (d *Decider) answerEnded(h holds.Hold, ended schemas.Envelope, now time.Time, msg string) (bus.Result, error) {
	outcome := schemas.OutcomeDenied
	if now.After(h.Request.Deadline) {
		outcome = schemas.OutcomeHeld
		msg = fmt.Sprintf("%s; the agent had stopped waiting at %s, told the call awaited approval; it was not run",
			msg, h.Request.Deadline.UTC().Format(time.RFC3339))
	}
	ready, err := d.ended(h, answerID(string(schemas.TypeResponseReady), ended.ID), ended.Time, outcome, msg)
	if err != nil {
		return bus.Result{}, err
	}
	return bus.Result{Out: []bus.Output{ready}}, nil
}

// ended is the response.ready that ends a held request, named eventID
// and stamped just after at. Both derive from the event that ended the
// hold: the same event can arrive twice (two decider replicas both record
// an expiry, as the same event; a redelivery), and each copy ends the
// request with the same response.ready, which the ingress answers once
// and the audit log keeps once.
func (d *Decider) ended(h holds.Hold, eventID string, at time.Time, outcome, msg string) (bus.Output, error) {
	ready := &schemas.ResponseReady{ReplyTo: h.Request.ReplyTo, Outcome: outcome,
		Error: &schemas.APIError{Status: http.StatusForbidden, Code: "AccessDenied", Message: msg}}
	env, err := d.envelopeAt(eventID, h.RequestID, at.Add(time.Microsecond), ready)
	if err != nil {
		return bus.Output{}, err
	}
	return bus.Output{Topic: schemas.TopicResponses, ReplyTo: h.Request.ReplyTo, Envelope: env}, nil
}

func (d *Decider) add(res *bus.Result, topic, key, requestID string, p schemas.Payload) error {
	return d.addAs(res, ids.New(), topic, key, requestID, p)
}

func (d *Decider) addAs(res *bus.Result, eventID, topic, key, requestID string, p schemas.Payload) error {
	env, err := d.envelope(eventID, requestID, p)
	if err != nil {
		return err
	}
	res.Out = append(res.Out, bus.Output{Topic: topic, Key: key, Envelope: env})
	return nil
}

// refuseForgedRequest logs a request.received that no ingress sealed and
// records it as a security.refused event, in place of a decision: a forged
// request speaks for no agent, so nothing answers it.
func (d *Decider) refuseForgedRequest(m bus.Message, cause error) (bus.Result, error) {
	d.log.Warn("security: refused a forged request; it is not judged",
		"kind", schemas.SecurityForgedEvent, "event_id", m.Envelope.ID, "request_id", m.Envelope.RequestID,
		"producer", m.Envelope.Producer, "topic", m.Topic, "partition", m.Partition, "offset", m.Offset, "err", cause)
	r, err := bus.EventRefusal("decider", d.producer, schemas.SecurityForgedEvent, cause.Error(), m, d.deps.Now())
	if err != nil {
		return bus.Result{}, err
	}
	return bus.Result{Out: []bus.Output{r}}, nil
}
