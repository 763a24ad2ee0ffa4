package bus

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/jitgate/jitgate/schemas"
)

// EnsureTopics creates every jitgate topic that does not exist yet, with the
// configured partitions and retention. Existing topics are left as they are.
func EnsureTopics(ctx context.Context, cfg Config) error {
	cfg.setDefaults()
	if err := cfg.Validate(); err != nil {
		return err
	}
	cl, err := kgo.NewClient(kgo.SeedBrokers(cfg.Brokers...), kgo.ClientID(cfg.ClientID))
	if err != nil {
		return fmt.Errorf("bus: connect to %v: %w", cfg.Brokers, err)
	}
	defer cl.Close()
	adm := kadm.NewClient(cl)
	for _, suffix := range schemas.AllTopics {
		ms := strconv.FormatInt(cfg.retention(suffix).Milliseconds(), 10)
		maxBytes := strconv.Itoa(MaxRecordBytes + 64<<10)
		configs := map[string]*string{"retention.ms": &ms, "max.message.bytes": &maxBytes}
		resp, err := adm.CreateTopic(ctx, cfg.Partitions, cfg.Replication, configs, cfg.Topic(suffix))
		if err == nil {
			err = resp.Err
		}
		if err != nil && !errors.Is(err, kerr.TopicAlreadyExists) {
			return fmt.Errorf("bus: create topic %s on %v: %w (is the broker reachable?)", cfg.Topic(suffix), cfg.Brokers, err)
		}
	}
	return awaitTopics(ctx, adm, cfg)
}

// awaitTopics waits until every topic has a leader for every partition: a
// real broker answers CreateTopics before the topic is served.
func awaitTopics(ctx context.Context, adm *kadm.Client, cfg Config) error {
	names := make([]string, len(schemas.AllTopics))
	for i, suffix := range schemas.AllTopics {
		names[i] = cfg.Topic(suffix)
	}
	deadline := time.Now().Add(60 * time.Second)
	for {
		ends, err := adm.ListEndOffsets(ctx, names...)
		if err == nil {
			err = ends.Error()
		}
		if err == nil {
			return nil
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			return fmt.Errorf("bus: topics %v not served after creation: %w", names, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}
