package decider

import (
	"context"
	"time"

	"github.com/jitgate/jitgate/internal/bus"
	"github.com/jitgate/jitgate/internal/notify"
	"github.com/jitgate/jitgate/schemas"
)

// notifyHolds posts a webhook for every hold lifecycle event. It runs as
// its own consumer group, so each event is announced by one decider replica
// and a slow webhook never delays decisions; a delivery that still fails
// after the notifier's retries is logged and skipped rather than blocking
// the notifications behind it.
func (d *Decider) notifyHolds(ctx context.Context, n *notify.Notifier) error {
	return bus.RunBatches(ctx, bus.BatchConfig{
		Bus: d.cfg.Bus, Group: d.cfg.Group + "-notifier", Topics: []string{schemas.TopicHolds}, MaxBatch: 100,
	}, func(ctx context.Context, ms []bus.Message) error {
		for _, m := range ms {
			var opened *schemas.HoldOpened
			if h, ok := d.holds.Hold(m.Envelope.RequestID); ok {
				opened = &schemas.HoldOpened{Request: h.Request, Rule: h.Rule, Reason: h.Reason, Terms: h.Terms}
			}
			msg, ok, err := notify.Message(m.Envelope, opened)
			if err != nil || !ok {
				continue
			}
			sendCtx, cancel := context.WithTimeout(ctx, 2*time.Minute)
			err = n.Send(sendCtx, msg)
			cancel()
			if err != nil && ctx.Err() == nil {
				d.log.Warn("webhook delivery failed; skipped", "event", msg.Event, "request_id", msg.RequestID, "err", err)
			}
		}
		return nil
	})
}
