package bus

import (
	"context"
	"slices"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/jitgate/jitgate/schemas"
)

// RunTypes is Run for records whose type header names one of types: the
// others (large response chunks, say) are skipped without decoding.
func (t *Tail) RunTypes(ctx context.Context, types []schemas.Type, fn func(Message)) error {
	defer t.cl.Close()
	for {
		fetches := t.cl.PollFetches(ctx)
		if ctx.Err() != nil {
			return nil
		}
		fetches.EachError(func(topic string, p int32, err error) {
			t.log.Warn("tail fetch failed", "topic", topic, "partition", p, "err", err)
		})
		fetches.EachRecord(func(r *kgo.Record) {
			defer t.advance(r)
			if r.Attrs.IsControl() || !slices.Contains(types, schemas.Type(header(r, schemas.HeaderType))) {
				return
			}
			m, err := t.cfg.message(r)
			if err != nil {
				t.log.Error("tail: skipping undecodable record", "err", err)
				return
			}
			fn(m)
		})
	}
}
