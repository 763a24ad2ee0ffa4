package bus

import (
	"context"
	"fmt"

	"github.com/twmb/franz-go/pkg/kgo"
)

// idempotent delivers a batch at least once (StageConfig.Idempotent): an
// idempotent producer writes its outputs and dead letters, and the input
// offsets are committed only once the brokers acknowledged every one of
// them. A failed produce or commit rewinds the member to the batch's first
// records, so the batch is handled again; a crash between the
// acknowledgements and the commit hands it to the next owner. Either way
// outputs already written are written once more, which is why the mode is
// only for handlers that return the same events for the same input.
//
// Rebalances wait for the batch in hand (kgo.BlockRebalanceOnPoll): offsets
// are committed, or the batch rewound, before a partition can move, so a
// member never commits for a partition it lost and two members rarely
// handle the same records (only one dropped from the group for taking
// longer than the rebalance timeout).
type idempotent struct {
	cl           *kgo.Client
	afterProduce func([]*kgo.Record) error
}

// newIdempotent joins the group as a static member with a plain client:
// franz-go's producer is idempotent by default (no duplicates from its own
// retries), and offsets are committed only by publish and commitOffsets.
func newIdempotent(cfg StageConfig, opts []kgo.Opt) (delivery, error) {
	opts = append([]kgo.Opt{kgo.DisableAutoCommit(), kgo.BlockRebalanceOnPoll()}, opts...)
	cl, err := kgo.NewClient(cfg.Bus.groupOpts(cfg.Group, cfg.Topics, opts...)...)
	if err != nil {
		return nil, err
	}
	return &idempotent{cl: cl, afterProduce: cfg.afterProduce}, nil
}

func (d *idempotent) client() *kgo.Client { return d.cl }

func (d *idempotent) poll(ctx context.Context) kgo.Fetches { return d.cl.PollFetches(ctx) }

func (d *idempotent) settle() { d.cl.AllowRebalance() }

func (d *idempotent) close() {
	d.cl.AllowRebalance()
	d.cl.Close()
}

// publish writes recs, waits for every acknowledgement, then commits the
// offsets of everything polled so far. It finishes a batch in hand even
// when ctx is cancelled (bounded): stopping between the two would make
// the next owner write the outputs again.
func (d *idempotent) publish(ctx context.Context, fetches kgo.Fetches, recs []*kgo.Record, failed error) error {
	ctx, cancel := finishing(ctx)
	defer cancel()
	if failed == nil {
		failed = produce(ctx, d.cl, recs)
	}
	if failed == nil && d.afterProduce != nil {
		failed = d.afterProduce(recs)
	}
	if failed == nil {
		if err := d.cl.CommitUncommittedOffsets(ctx); err != nil {
			failed = fmt.Errorf("commit offsets: %w", err)
		}
	}
	if failed != nil {
		d.rewind(fetches)
	}
	return failed
}

func (d *idempotent) commitOffsets(ctx context.Context) error {
	return d.cl.CommitUncommittedOffsets(ctx)
}

// rewind sets every partition of fetches back to its first record in
// them, so the next poll returns the batch again. Records before it were
// committed or handled without outputs.
func (d *idempotent) rewind(fetches kgo.Fetches) {
	to := map[string]map[int32]kgo.EpochOffset{}
	fetches.EachPartition(func(p kgo.FetchTopicPartition) {
		if len(p.Records) == 0 {
			return
		}
		first := p.Records[0]
		if to[p.Topic] == nil {
			to[p.Topic] = map[int32]kgo.EpochOffset{}
		}
		to[p.Topic][p.Partition] = kgo.EpochOffset{Epoch: first.LeaderEpoch, Offset: first.Offset}
	})
	d.cl.SetOffsets(to)
}
