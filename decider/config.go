package decider

import (
	"errors"
	"time"

	"github.com/jitgate/jitgate/internal/bus"
	"github.com/jitgate/jitgate/internal/notify"
)

// Config configures a Decider.
type Config struct {
	Bus bus.Config
	// Group is the consumer group. Default "jitgate-decider".
	Group string
	// Instance names this process in the group. Required.
	Instance string
	// PolicyFile is the YAML policy (docs/policy.md). Required.
	PolicyFile string
	// DecisionKey seals decisions for executors (HMAC-SHA256). Required.
	DecisionKey []byte
	// ReloadEvery is how often the policy file is checked for changes.
	// Default 2s.
	ReloadEvery time.Duration
	// ExpireEvery is how often pending holds are checked for expiry.
	// Default 1s.
	ExpireEvery time.Duration
	// Webhook, when its URL is set, announces holds opening and ending
	// (docs/notifications.md).
	Webhook notify.Config
}

func (c *Config) setDefaults() {
	if c.Group == "" {
		c.Group = "jitgate-decider"
	}
	if c.ReloadEvery == 0 {
		c.ReloadEvery = 2 * time.Second
	}
	if c.ExpireEvery == 0 {
		c.ExpireEvery = time.Second
	}
}

// Validate reports a configuration that cannot work.
func (c Config) Validate() error {
	switch {
	case c.Instance == "":
		return errors.New("decider: an instance id is required")
	case c.PolicyFile == "":
		return errors.New("decider: a policy file is required (--policy)")
	case len(c.DecisionKey) < 16:
		return errors.New("decider: a decision key of at least 16 bytes is required (--decision-key)")
	}
	if c.Webhook.URL != "" {
		if err := c.Webhook.Validate(); err != nil {
			return err
		}
	}
	return c.Bus.Validate()
}
