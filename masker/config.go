package masker

import (
	"errors"

	"github.com/jitgate/jitgate/internal/bus"
)

// Config configures a Masker.
type Config struct {
	Bus bus.Config
	// Group is the consumer group. Default bus.Config.GroupName("masker"): "jitgate-masker" with the default topic prefix.
	Group string
	// Instance names this process in the group. Required.
	Instance string
	// RulesFile is an optional YAML file of masking rules (docs/masking.md).
	RulesFile string
	// HashKey is the HMAC-SHA-256 key of rules whose replacement mode is
	// "hash" (at least 16 bytes; cmd/jitgate: --masking-hash-key,
	// JITGATE_MASKING_HASH_KEY). Empty: a rule asking for hash is an error
	// at start-up.
	HashKey []byte
	// MaxBody bounds a body the masker reads whole to rewrite it. Default
	// 64 MiB; larger JSON or XML answers are refused (fail closed).
	MaxBody int64
}

func (c *Config) setDefaults() {
	if c.Group == "" {
		c.Group = c.Bus.GroupName("masker")
	}
	if c.MaxBody == 0 {
		c.MaxBody = 64 << 20
	}
}

// Validate reports a configuration that cannot work.
func (c Config) Validate() error {
	if c.Instance == "" {
		return errors.New("masker: an instance id is required")
	}
	return c.Bus.Validate()
}
