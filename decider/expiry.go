package decider

import (
	"context"
	"time"

	"github.com/jitgate/jitgate/internal/bus"
	"github.com/jitgate/jitgate/schemas"
)

// Expiry: a hold nobody decided by Terms.Expires ends with hold.expired,
// written once, by one decider, and only when that decider has read every
// event that could have decided the hold first.
//
//   - Who: the member of the decider group that owns the hold's partition
//     of the holds topic (bus.Owned, kept by the stage loop). Every event
//     of a hold is keyed by its request id, so they all lie in the
//     partition hold.opened was read from (holds.Hold.Partition), and the
//     same member's stage loop acts on the hold's approvals and denials.
//     When the partition moves (a rebalance, a crash, a restart) the new
//     owner's ticker finds the hold still pending and writes the expiry.
//   - When: each round lists the holds topic's end offsets (a bus.Mark)
//     and expires only holds whose partition the view's tail has read up
//     to that mark, and whose expiry lies ExpireGrace before the mark. An
//     approval accepted by the brokers before the mark is then in the
//     view, so a pending hold there was not approved in the log before
//     the expiry is written; and an approval stamped before the expiry
//     (the holds view refuses later ones) had ExpireGrace to reach the
//     brokers. A mark not reached is kept for the next round, so a view
//     that keeps up with a busy partition still reaches it.
//   - What: the event's id derives from the request id and its time is the
//     hold's expiry, so the copies two members write while both believe
//     they own a partition (a rebalance, a fenced zombie) are one event to
//     the holds view and to the audit log.
//
// What is left: an approval that reaches the brokers more than
// ExpireGrace after its own time, or after its hold's expiry by a clock
// that runs ahead, may follow the expiry in the log. Every view then
// keeps the expiry (the first ending event in log order wins), and so does
// the recorder's requests view, which applies the same rule.

// expiryGate is what the expirer asks the stage and the tail.
type expiryGate struct {
	// mark lists the holds topic's end offsets now; the returned function
	// reports whether the view has read a partition up to them.
	mark func(ctx context.Context) (reached func(partition int32) bool, err error)
	// owns reports whether this member owns a holds partition now.
	owns func(partition int32) bool
}

// liveGate is the gate of a running decider: its holds tail and the
// partitions its stage loop owns.
func liveGate(tail *bus.Tail, owned *bus.Owned) expiryGate {
	return expiryGate{
		mark: func(ctx context.Context) (func(int32) bool, error) {
			m, err := tail.Mark(ctx, schemas.TopicHolds)
			if err != nil {
				return nil, err
			}
			return m.Reached, nil
		},
		owns: func(p int32) bool { return owned.Owns(schemas.TopicHolds, p) },
	}
}

// expiryMark is a mark the expirer took, with the decider's time then.
type expiryMark struct {
	at      time.Time
	reached func(partition int32) bool
}

// expireHolds writes hold.expired for the holds this member owns that
// nobody decided in time, every ExpireEvery, until ctx ends.
func (d *Decider) expireHolds(ctx context.Context, g expiryGate) {
	t := time.NewTicker(d.cfg.ExpireEvery)
	defer t.Stop()
	var kept *expiryMark
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		kept = d.expireRound(ctx, g, kept)
	}
}

// expireRound is one round: it takes a mark unless one is kept from an
// earlier round, expires the owned holds it may, and returns the mark to
// keep when some owned hold waits for the view to reach it.
func (d *Decider) expireRound(ctx context.Context, g expiryGate, kept *expiryMark) *expiryMark {
	if kept == nil {
		now := d.deps.Now()
		if !d.anyOwnedDue(now, g.owns) {
			return nil
		}
		reached, err := g.mark(ctx)
		if err != nil {
			d.log.Warn("cannot tell how far the holds view has read; expiries wait", "err", err)
			return nil
		}
		kept = &expiryMark{at: now, reached: reached}
	}
	waiting := false
	for _, h := range d.holds.Expired(kept.at.Add(-d.cfg.ExpireGrace)) {
		switch {
		case !g.owns(h.Partition):
			continue // another member's, or a partition in transit
		case !kept.reached(h.Partition):
			waiting = true
			continue
		}
		env, err := d.envelopeAt(answerID("expired", h.RequestID), h.RequestID, h.Terms.Expires, &schemas.HoldExpired{})
		if err == nil {
			err = d.deps.Publisher.Publish(ctx, bus.Output{Topic: schemas.TopicHolds, Envelope: env})
		}
		if err != nil {
			// The next round takes a new mark and finds it still pending.
			d.log.Warn("could not record an expired hold; will retry", "request_id", h.RequestID, "err", err)
			continue
		}
		d.log.Info("hold expired", "request_id", h.RequestID, "rule", h.Rule, "partition", h.Partition)
	}
	if waiting {
		d.log.Debug("expiries wait for the holds view to reach the mark", "mark_at", kept.at)
		return kept
	}
	return nil
}

// anyOwnedDue reports whether a hold this member owns is due to expire at
// now (past its expiry by ExpireGrace), so that a mark is worth taking.
func (d *Decider) anyOwnedDue(now time.Time, owns func(int32) bool) bool {
	for _, h := range d.holds.Expired(now.Add(-d.cfg.ExpireGrace)) {
		if owns(h.Partition) {
			return true
		}
	}
	return false
}
