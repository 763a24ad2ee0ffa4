package bus

import (
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/jitgate/jitgate/schemas"
)

// Config says where the brokers are and how topics are laid out.
type Config struct {
	// Brokers are seed broker addresses (host:port). Required.
	Brokers []string
	// Prefix is prepended to every topic name. Default "jitgate.".
	Prefix string
	// Partitions for topics created by EnsureTopics. Default 6.
	Partitions int32
	// Replication for topics created by EnsureTopics. Default -1 (the
	// broker's default).
	Replication int16
	// Retention of every topic but executions. Default 7 days.
	Retention time.Duration
	// RawRetention bounds the executions topic, which holds unmasked
	// responses. Default 1 hour.
	RawRetention time.Duration
	// ClientID names this process to the brokers. Default "jitgate".
	ClientID string
	// StallTimeout is the stage loop's watchdog bound (watchdog.go): a
	// stage whose partitions have records waiting but that makes no
	// progress on them for this long (of its own time with Kafka, not
	// counting its handler) rebuilds its Kafka client, and leaves the
	// group first when that did not help. Default DefaultStallTimeout
	// (5 s); it doubles after each stall in a row, up to a minute.
	StallTimeout time.Duration
	// Logger, if set, receives franz-go's own log lines (at warn, or
	// everything when it takes debug) from every client built from this
	// configuration. Stage loops use their own logger.
	Logger *slog.Logger
}

// MaxRecordBytes is the largest record value jitgate writes. It stays under
// Kafka's default message.max.bytes (1 MB) so that stock brokers accept
// every event; larger bodies travel as chunk events.
const MaxRecordBytes = 900 << 10

func (c *Config) setDefaults() {
	if c.Prefix == "" {
		c.Prefix = "jitgate."
	}
	if c.Partitions == 0 {
		c.Partitions = 6
	}
	if c.Replication == 0 {
		c.Replication = -1
	}
	if c.Retention == 0 {
		c.Retention = 7 * 24 * time.Hour
	}
	if c.RawRetention == 0 {
		c.RawRetention = time.Hour
	}
	if c.StallTimeout <= 0 {
		c.StallTimeout = DefaultStallTimeout
	}
	if c.ClientID == "" {
		c.ClientID = "jitgate"
	}
}

// Validate reports a configuration that cannot work.
func (c Config) Validate() error {
	if len(c.Brokers) == 0 {
		return errors.New("bus: no Kafka brokers configured (set --kafka or JITGATE_KAFKA)")
	}
	if c.Partitions < 0 {
		return fmt.Errorf("bus: partitions must be positive, got %d", c.Partitions)
	}
	return nil
}

// Topic returns the full name of a topic suffix from package schemas.
func (c Config) Topic(suffix string) string {
	p := c.Prefix
	if p == "" {
		p = "jitgate."
	}
	return p + suffix
}

// topics returns the full names of topic suffixes.
func (c Config) topics(suffixes []string) []string {
	out := make([]string, len(suffixes))
	for i, t := range suffixes {
		out[i] = c.Topic(t)
	}
	return out
}

// Suffix strips the prefix from a full topic name.
func (c Config) Suffix(topic string) string {
	p := c.Prefix
	if p == "" {
		p = "jitgate."
	}
	if len(topic) > len(p) && topic[:len(p)] == p {
		return topic[len(p):]
	}
	return topic
}

// retention returns the retention of one topic suffix.
func (c Config) retention(suffix string) time.Duration {
	if suffix == schemas.TopicExecutions {
		return c.RawRetention
	}
	return c.Retention
}

// GroupName is the default consumer group of a stage of role ("decider",
// "executor", ...): the topic prefix without its trailing dot, a dash and
// the role ("jitgate-decider" with the default prefix). Two gateways that
// share a cluster under different prefixes thus never share a group, nor
// the static member ids and transactional ids derived from it.
func (c Config) GroupName(role string) string {
	p := c.Prefix
	if p == "" {
		p = "jitgate."
	}
	return strings.TrimSuffix(p, ".") + "-" + role
}
