package ingress

// Refusals at the door: a call the ingress answers without publishing it
// (throttled, or the broker not taking the request) still ends in the log,
// as one request.refused event (schemas.RequestRefused) named by the
// request id the agent saw.
//
// The event is published in the background, never on the refused call's
// path: a flood of refusals costs the ingress one bounded queue (a small
// struct per refusal; the envelope is built only when it is published)
// and one goroutine. Beyond the queue's bound refusals are dropped and
// counted; the count is logged every doorReportEvery, never each refusal.
// Refusals of strangers (callers that did not prove their secret: a bad
// or missing signature or session token, unsigned junk) are also bounded
// in rate (Config.UntrustedRefusalRate per second, in a bucket of as
// many): beyond it they are dropped and counted like a full queue's, so a
// flood of garbage-signed requests costs Kafka at most that rate of small
// events, and cannot take the queue from the refusals of known callers.
// While the broker is down the queue holds what it can and the batch at
// its head is retried with backoff, so the refusals of an outage are
// published once the broker returns. Event ids are derived from the
// request id, so a batch published twice (a retry after an
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

// doorRefusal is one queued request.refused, its envelope not built yet.
type doorRefusal struct {
	requestID string
	at        time.Time
	ev        *schemas.RequestRefused
	// untrusted: the caller did not prove who it is (unauthenticated, or
	// rejected before its session opened); subject to the strangers' rate.
	untrusted bool
}

// doorLog queues and publishes the request.refused events of one replica.
type doorLog struct {
	pub      Publisher
	log      *slog.Logger
	producer string
	queue    chan doorRefusal
	// strangers bounds the rate of untrusted refusals.
	strangers *tokenBucket

	dropped   atomic.Int64 // refusals never published: queue full, strangers' rate, or left at shutdown
	limited   atomic.Int64 // of those, strangers' refusals beyond their rate
	published atomic.Int64
}

// newDoorLog queues up to size refusals, of which strangers' at most
// untrustedRate a second.
func newDoorLog(size, untrustedRate int, pub Publisher, log *slog.Logger, producer string) *doorLog {
	return &doorLog{pub: pub, log: log, producer: producer, queue: make(chan doorRefusal, size),
		strangers: newTokenBucket(untrustedRate, time.Now)}
}

// add queues a refusal; when the queue is full, or a stranger's refusal
// is beyond their rate, it drops it and counts.
func (d *doorLog) add(r doorRefusal) {
	if r.untrusted && !d.strangers.take() {
		d.limited.Add(1)
		d.dropped.Add(1)
		return
	}
	select {
	case d.queue <- r:
	default:
		d.dropped.Add(1)
	}
}

// DroppedRefusals is how many refusals at the door this replica never
// published (queue full, or still queued when it stopped).
func (g *Ingress) DroppedRefusals() int64 { return g.door.dropped.Load() }

// run publishes queued refusals until ctx ends, then publishes what is
// queued within doorFlushTimeout and counts the rest as dropped.
func (d *doorLog) run(ctx context.Context) error {
	tick := time.NewTicker(doorReportEvery)
	defer tick.Stop()
	var reported int64
	report := func() {
		if n := d.dropped.Load(); n > reported {
			d.log.Warn("refusals at the door dropped: their queue was full, or strangers' refusals were beyond their rate; those calls are not in the log",
				"dropped", n-reported, "dropped_total", n, "rate_limited_total", d.limited.Load(), "queue", cap(d.queue),
				"untrusted_per_second", d.strangers.rate)
			reported = n
		}
	}
	var batch []doorRefusal
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
				d.log.Info("refusals at the door published again", "published_total", d.published.Load())
				failing = false
			}
			batch, pause = batch[:0], doorRetryMin
			continue
		}
		if ctx.Err() != nil {
			return nil
		}
		if !failing {
			d.log.Warn("refusals at the door not published yet; retrying until the broker takes them",
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

// fill adds queued refusals to batch, up to doorBatch, without waiting.
func (d *doorLog) fill(batch []doorRefusal) []doorRefusal {
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
// and its time is the refusal's: published twice, it is one event.
func (d *doorLog) publish(ctx context.Context, batch []doorRefusal) error {
	outs := make([]bus.Output, 0, len(batch))
	for _, r := range batch {
		env, err := schemas.NewEnvelope(r.requestID+"/"+string(schemas.TypeRequestRefused), r.requestID, d.producer, r.at, r.ev)
		if err != nil {
			return err // a payload of strings always encodes
		}
		outs = append(outs, bus.Output{Topic: schemas.TopicResponses, Envelope: env})
	}
	return d.pub.Publish(ctx, outs...)
}

// flush publishes batch and what is queued, within doorFlushTimeout, and
// counts the rest as dropped.
func (d *doorLog) flush(batch []doorRefusal) {
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
			d.log.Warn("refusals at the door not published at shutdown", "dropped", n, "err", err)
			return
		}
		d.published.Add(int64(len(batch)))
		batch = batch[:0]
	}
}

// refuseAtDoor answers c with e and queues the request.refused that
// records it, with what the call knows of its caller and itself (see
// refusedEvent). Every answer given before a request.received is
// published goes through here, exactly once per call.
func (g *Ingress) refuseAtDoor(c *call, outcome, reason string, e apiError) {
	c.fail(e)
	ev := refusedEvent(c)
	ev.Outcome, ev.Reason, ev.Source, ev.Replica = outcome, trunc(reason, maxRefusalReason), clientIP(c.r), g.cfg.Replica
	ev.Error = schemas.APIError{Status: e.Status, Code: e.Code, Message: trunc(e.Message, maxRefusalMessage)}
	// A caller that did not prove its secret is a stranger, whatever
	// token it showed.
	untrusted := outcome == schemas.OutcomeUnauthenticated || c.sess == nil && outcome == schemas.OutcomeRejected
	g.door.add(doorRefusal{requestID: c.id, at: g.deps.Now(), ev: ev, untrusted: untrusted})
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
