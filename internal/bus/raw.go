package bus

import (
	"context"
	"errors"
	"fmt"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/jitgate/jitgate/schemas"
)

// RawRecord is a Kafka record as bytes, for tools that move records
// without decoding them (dead-letter redrive).
type RawRecord struct {
	// Topic is the full topic name, prefix included.
	Topic   string
	Key     []byte
	Value   []byte
	Headers []schemas.RecordHeader
}

// ErrRecordGone is returned by ReadRecord when the record is no longer
// retained (or never existed).
var ErrRecordGone = errors.New("bus: record no longer in the topic (retention passed?)")

// ReadRecord reads the committed record at topic (full name), partition and
// offset.
func ReadRecord(ctx context.Context, cfg Config, topic string, partition int32, offset int64) (RawRecord, error) {
	cfg.setDefaults()
	if err := cfg.Validate(); err != nil {
		return RawRecord{}, err
	}
	cl, err := kgo.NewClient(cfg.clientOpts(kgo.ConsumePartitions(map[string]map[int32]kgo.Offset{
		topic: {partition: kgo.NewOffset().At(offset)},
	}))...)
	if err != nil {
		return RawRecord{}, fmt.Errorf("bus: read record: %w", err)
	}
	defer cl.Close()
	for {
		fetches := cl.PollFetches(ctx)
		if err := ctx.Err(); err != nil {
			return RawRecord{}, fmt.Errorf("bus: read %s/%d@%d: %w", topic, partition, offset, err)
		}
		var ferr error
		fetches.EachError(func(_ string, _ int32, err error) { ferr = err })
		if ferr != nil {
			return RawRecord{}, fmt.Errorf("%w: %s/%d@%d: %w", ErrRecordGone, topic, partition, offset, ferr)
		}
		for _, r := range fetches.Records() {
			if r.Offset > offset {
				return RawRecord{}, fmt.Errorf("%w: %s/%d@%d", ErrRecordGone, topic, partition, offset)
			}
			if r.Offset == offset {
				return RawRecord{Topic: r.Topic, Key: r.Key, Value: r.Value, Headers: recordHeaders(r)}, nil
			}
		}
	}
}

// PublishRaw writes records as they are and waits for the brokers'
// acknowledgement.
func (p *Publisher) PublishRaw(ctx context.Context, recs ...RawRecord) error {
	out := make([]*kgo.Record, len(recs))
	for i, r := range recs {
		kr := &kgo.Record{Topic: r.Topic, Key: r.Key, Value: r.Value}
		for _, h := range r.Headers {
			kr.Headers = append(kr.Headers, kgo.RecordHeader{Key: h.Key, Value: h.Value})
		}
		out[i] = kr
	}
	if err := p.cl.ProduceSync(ctx, out...).FirstErr(); err != nil {
		return fmt.Errorf("bus: publish: %w", err)
	}
	return nil
}
