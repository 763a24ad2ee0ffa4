package ingress

// The door log: the events of what the ingress answers at its door,
// without publishing a request. Every call it answers itself ends in the
// log through it, named by the request id the agent saw: a call refused
// (throttled, the broker not taking the request, unauthenticated,
// rejected) as one request.refused (schemas.RequestRefused), with a
// security.refused before it when the refusal may be an attack; a
// credential exchange (AssumeRoleWithWebIdentity) as one session.issued
// when it was answered with credentials, else as one request.refused.
//
// The events are published in the background, never on the call's path:
// a flood costs the ingress one bounded queue (a small struct per event;
// the envelope is built only when it is published) and one goroutine.
// Beyond the queue's bound events are dropped and counted; the count is
// logged every doorReportEvery, never each event. The events of strangers
// (callers that did not prove their secret: a bad or missing signature or
// session token, unsigned junk, a replayed signature, a web identity
// token that did not verify) are also bounded in rate
// (Config.UntrustedRefusalRate calls a second, in a bucket of as many):
// beyond it they are dropped and counted like a full queue's, so a flood
// of garbage-signed requests costs Kafka at most that rate of small
// events, and cannot take the queue from the events of known callers.
// While the broker is down the queue holds what it can and the batch at
// its head is retried with backoff, so the events of an outage are
// published once the broker returns. Event ids are derived from the
// request id and the type, so a batch published twice (a retry after an
// acknowledgement was lost) is the same events to the recorder.

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync/atomic"
	"time"

	"github.com/jitgate/jitgate/internal/bus"
	"github.com/jitgate/jitgate/internal/session"
	"github.com/jitgate/jitgate/schemas"
)

// Timings of the refusal publisher.
const (
	// doorBatch is the most refusals published at once.
	doorBatch = 256
	// doorPublishTimeout bounds one publish; a broker that does not answer
	// in time is down, and the batch waits for the next try.
	doorPublishTimeout = 10 * time.Second
	// doorRetryMin and doorRetryMax bound the pause between tries of a
	// batch the broker did not take (doubling from the first to the last).
	doorRetryMin, doorRetryMax = 250 * time.Millisecond, 5 * time.Second
	// doorReportEvery is how often new drops are logged.
	doorReportEvery = 10 * time.Second
	// doorFlushTimeout bounds the last publish at shutdown.
	doorFlushTimeout = 3 * time.Second
)

// doorEvent is one queued event of the door log, its envelope not built
// yet: a *schemas.RequestRefused, *schemas.SecurityRefused or
// *schemas.SessionIssued.
type doorEvent struct {
	requestID string
	at        time.Time
	ev        schemas.Payload
}

// doorTopic is the topic a door event goes to: the security record to
// the security topic, a call's terminal event to the responses topic
// (without a reply-to: no replica waits for it).
func doorTopic(p schemas.Payload) string {
	if p.EventType() == schemas.TypeSecurityRefused {
		return schemas.TopicSecurity
	}
	return schemas.TopicResponses
}

// doorLog queues and publishes the door events of one replica.
type doorLog struct {
	pub      Publisher
	log      *slog.Logger
	producer string
	queue    chan doorEvent
	// strangers bounds the rate of untrusted calls' events.
	strangers *tokenBucket

	dropped   atomic.Int64 // events never published: queue full, strangers' rate, or left at shutdown
	limited   atomic.Int64 // of those, strangers' events beyond their rate
	published atomic.Int64
}

// newDoorLog queues up to size events, of strangers' calls at most
// untrustedRate a second.
func newDoorLog(size, untrustedRate int, pub Publisher, log *slog.Logger, producer string) *doorLog {
	return &doorLog{pub: pub, log: log, producer: producer, queue: make(chan doorEvent, size),
		strangers: newTokenBucket(untrustedRate, time.Now)}
}

// add queues the events of one call (a security.refused and its
// request.refused go together) and reports whether it kept them all; when
// the queue is full, or the call is a stranger's beyond their rate, it
// drops them and counts. A stranger's call takes one token of the rate,
// whatever number of events it has.
func (d *doorLog) add(untrusted bool, evs ...doorEvent) bool {
	if untrusted && !d.strangers.take() {
		d.limited.Add(int64(len(evs)))
		d.dropped.Add(int64(len(evs)))
		return false
	}
	kept := true
	for _, e := range evs {
		select {
		case d.queue <- e:
		default:
			d.dropped.Add(1)
			kept = false
		}
	}
	return kept
}

// DroppedDoorEvents is how many events of the door log this replica never
// published (queue full, strangers beyond their rate, or still queued
// when it stopped).
func (g *Ingress) DroppedDoorEvents() int64 { return g.door.dropped.Load() }

// run publishes queued events until ctx ends, then publishes what is
// queued within doorFlushTimeout and counts the rest as dropped.
func (d *doorLog) run(ctx context.Context) error {
	tick := time.NewTicker(doorReportEvery)
	defer tick.Stop()
	var reported int64
	report := func() {
		if n := d.dropped.Load(); n > reported {
			d.log.Warn("refusals at the door (and credential exchanges) dropped: their queue was full, or strangers' calls were beyond their rate; those answers are not in the log",
				"dropped", n-reported, "dropped_total", n, "rate_limited_total", d.limited.Load(), "queue", cap(d.queue),
				"untrusted_per_second", d.strangers.rate)
			reported = n
		}
	}
	var batch []doorEvent
	defer func() {
		d.flush(batch)
		report()
	}()
	pause := doorRetryMin
	failing := false
	for {
		if len(batch) == 0 {
			select {
			case <-ctx.Done():
				return nil
			case <-tick.C:
				report()
				continue
			case r := <-d.queue:
				batch = append(batch, r)
			}
		}
		batch = d.fill(batch)
		pctx, cancel := context.WithTimeout(ctx, doorPublishTimeout)
		err := d.publish(pctx, batch)
		cancel()
		if err == nil {
			d.published.Add(int64(len(batch)))
			if failing {
				d.log.Info("refusals at the door (and credential exchanges) published again", "published_total", d.published.Load())
				failing = false
			}
			batch, pause = batch[:0], doorRetryMin
			continue
		}
		if ctx.Err() != nil {
			return nil
		}
		if !failing {
			d.log.Warn("refusals at the door (and credential exchanges) not published yet; retrying until the broker takes them",
				"queued", len(batch)+len(d.queue), "err", err)
			failing = true
		}
		select {
		case <-ctx.Done():
			return nil
		case <-tick.C:
			report()
		case <-time.After(pause):
		}
		pause = min(2*pause, doorRetryMax)
	}
}

// fill adds queued events to batch, up to doorBatch, without waiting.
func (d *doorLog) fill(batch []doorEvent) []doorEvent {
	for len(batch) < doorBatch {
		select {
		case r := <-d.queue:
			batch = append(batch, r)
		default:
			return batch
		}
	}
	return batch
}

// publish publishes batch. Each event's id derives from its request id
// and type, and its time is the answer's: published twice, it is one
// event.
func (d *doorLog) publish(ctx context.Context, batch []doorEvent) error {
	outs := make([]bus.Output, 0, len(batch))
	for _, e := range batch {
		env, err := schemas.NewEnvelope(e.requestID+"/"+string(e.ev.EventType()), e.requestID, d.producer, e.at, e.ev)
		if err != nil {
			return err // a payload of strings and times always encodes
		}
		outs = append(outs, bus.Output{Topic: doorTopic(e.ev), Envelope: env})
	}
	return d.pub.Publish(ctx, outs...)
}

// flush publishes batch and what is queued, within doorFlushTimeout, and
// counts the rest as dropped.
func (d *doorLog) flush(batch []doorEvent) {
	ctx, cancel := context.WithTimeout(context.Background(), doorFlushTimeout)
	defer cancel()
	for {
		batch = d.fill(batch)
		if len(batch) == 0 {
			return
		}
		if err := d.publish(ctx, batch); err != nil {
			n := len(batch)
			for len(d.queue) > 0 {
				<-d.queue
				n++
			}
			d.dropped.Add(int64(n))
			d.log.Warn("refusals at the door (and credential exchanges) not published at shutdown", "dropped", n, "err", err)
			return
		}
		d.published.Add(int64(len(batch)))
		batch = batch[:0]
	}
}

// refuseAtDoor answers c with e and queues the request.refused that
// records it, with what the call knows of its caller and itself (see
// refusedEvent). Every answer given before a request.received is
// published goes through here, exactly once per call (a credential
// exchange, answered by package sts, through recordExchange).
func (g *Ingress) refuseAtDoor(c *call, outcome, reason string, e apiError) {
	// Queued before the answer: an agent that has its answer finds the
	// record on its way.
	g.recordRefusal(c, refusedEvent(c), outcome, reason, e, c.stranger(outcome))
	c.fail(e)
}

// recordRefusal completes ev, the request.refused of c's answer e, and
// queues it, after the call's security.refused if it has one: both in
// one add, so a stranger's call spends one token of the rate for both.
// The security refusal is logged only when it was kept: what a flood
// makes the door log drop, it does not make the ingress log either (the
// drop report counts it).
func (g *Ingress) recordRefusal(c *call, ev *schemas.RequestRefused, outcome, reason string, e apiError, untrusted bool) {
	ev.Outcome, ev.Reason, ev.Source, ev.Replica = outcome, trunc(reason, maxRefusalReason), clientIP(c.r), g.cfg.Replica
	ev.Error = schemas.APIError{Status: e.Status, Code: e.Code, Message: trunc(e.Message, maxRefusalMessage)}
	at := g.deps.Now()
	sec := c.security
	if sec == nil {
		g.door.add(untrusted, doorEvent{requestID: c.id, at: at, ev: ev})
		return
	}
	if !g.door.add(untrusted, doorEvent{requestID: c.id, at: at, ev: sec}, doorEvent{requestID: c.id, at: at, ev: ev}) {
		return
	}
	subject := ""
	if sec.Principal != nil {
		subject = sec.Principal.Subject
	}
	g.log.Warn("security: request refused", "kind", sec.Kind, "request_id", c.id, "principal", subject, "source", sec.Source,
		"method", c.r.Method, "path", trunc(c.r.URL.EscapedPath(), maxRefusalReason), "service", sec.Service, "operation", sec.Operation, "reason", sec.Reason)
}

// stranger reports whether c's caller did not prove its secret, whatever
// token it showed: its call was unauthenticated, or rejected before its
// session opened or for a replayed signature (anyone who saw the signed
// request can send it again). Its door events are bounded by the
// strangers' rate.
func (c *call) stranger(outcome string) bool {
	return outcome == schemas.OutcomeUnauthenticated || outcome == schemas.OutcomeRejected && (c.sess == nil || c.replayed)
}

// Bounds on the free text of a request.refused: its reason and message may
// quote (truncated) parts of what a stranger sent, and each queued refusal
// must stay small.
const (
	maxRefusalReason  = 512
	maxRefusalMessage = 1024
	maxScopeName      = 64
)

// refusedEvent is what a request.refused tells of c: the principal only
// once its session opened; the access key id claimed only in the shape of
// a jitgate one; the credential scope's signing name and region (trimmed
// to a plain name: a stranger chose them); service and operation once
// identified. Never the signature, the token, the secret or the body.
func refusedEvent(c *call) *schemas.RequestRefused {
	ev := &schemas.RequestRefused{}
	if c.sess != nil && c.sess.AccessKeyID != "" {
		p := c.sess.Principal
		ev.Principal = &schemas.Principal{Subject: p.Subject, Issuer: p.Issuer, Groups: p.Groups}
	}
	if c.claim != nil {
		if session.IsAccessKeyID(c.claim.AccessKeyID) {
			ev.ClaimedAccessKeyID = c.claim.AccessKeyID
		}
		ev.SigningName, ev.Region = scopeName(c.claim.SigningName), scopeName(c.claim.Region)
	}
	if c.op != nil {
		ev.Service, ev.Operation = c.op.Service, c.op.Name
		if c.op.SigningName != "" {
			ev.SigningName = c.op.SigningName
		}
	}
	return ev
}

// scopeName is s when it reads as a signing name or region (lowercase
// letters, digits, '-', at most maxScopeName), else "".
func scopeName(s string) string {
	if len(s) > maxScopeName {
		return ""
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-') {
			return ""
		}
	}
	return s
}

// trunc shortens s to at most n bytes, on a UTF-8 boundary.
func trunc(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return strings.ToValidUTF8(s[:n], "")
}

// unavailable is the answer to a call refused because the gateway cannot
// write to Kafka: ServiceUnavailable, which every SDK retries, saying what
// failed and naming the request.
func unavailable(c *call, what string) apiError {
	return apiError{http.StatusServiceUnavailable, "ServiceUnavailable", fmt.Sprintf("jitgate %s (request id %s); retry later", what, c.id)}
}
