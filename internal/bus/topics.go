package bus

import (
	"context"
	"errors"
	"fmt"
	"strconv"

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
	return nil
}
