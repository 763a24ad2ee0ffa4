package bus

import (
	"github.com/twmb/franz-go/pkg/kgo"
)

// clientOpts are the options every jitgate Kafka client shares.
func (cfg Config) clientOpts(extra ...kgo.Opt) []kgo.Opt {
	opts := []kgo.Opt{
		kgo.SeedBrokers(cfg.Brokers...),
		kgo.ClientID(cfg.ClientID),
		// Stages write transactionally; never act on aborted writes.
		kgo.FetchIsolationLevel(kgo.ReadCommitted()),
		kgo.ProducerBatchMaxBytes(MaxRecordBytes + 64<<10),
		kgo.RecordPartitioner(kgo.StickyKeyPartitioner(nil)),
	}
	return append(opts, extra...)
}
