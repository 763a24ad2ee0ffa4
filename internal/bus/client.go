package bus

import (
	"log/slog"

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
		kgo.WithHooks(countRequests{}),
	}
	if cfg.Logger != nil {
		opts = append(opts, withKgoLogger(cfg.Logger))
	}
	opts = append(opts, reconnectOpts()...)
	return append(opts, extra...)
}

// groupOpts are the options of a consumer-group member of group reading
// topic suffixes, from the start when the group has committed nothing.
func (cfg Config) groupOpts(group string, suffixes []string, extra ...kgo.Opt) []kgo.Opt {
	return cfg.clientOpts(append([]kgo.Opt{
		kgo.ConsumerGroup(group),
		kgo.ConsumeTopics(cfg.topics(suffixes)...),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()),
	}, append(groupTiming(), extra...)...)...)
}

// logger returns l, or the default logger.
func logger(l *slog.Logger) *slog.Logger {
	if l == nil {
		return slog.Default()
	}
	return l
}
