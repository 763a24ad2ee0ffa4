package decider

import (
	"errors"
	"time"

	"github.com/jitgate/jitgate/internal/bus"
	"github.com/jitgate/jitgate/internal/notify"
	"github.com/jitgate/jitgate/schemas"
)

// Config configures a Decider.
type Config struct {
	Bus bus.Config
	// Group is the consumer group. Default bus.Config.GroupName("decider"): "jitgate-decider" with the default topic prefix.
	Group string
	// Instance names this process in the group. Required.
	Instance string
	// PolicyFile is the YAML policy (docs/policy.md). Required.
	PolicyFile string
	// DecisionKey seals decision.made for executors (HMAC-SHA256 over the
	// whole envelope). Required, at least 16 bytes; only deciders and
	// executors hold it.
	DecisionKey []byte
	// HoldsKey seals what the decider writes to the holds and grants topics
	// (hold.opened, hold.approved, hold.expired, grant.opened) and verifies
	// what it reads there; the rest is written by ingresses. Required, at
	// least 16 bytes; only deciders and ingresses hold it.
	HoldsKey []byte
	// ReloadEvery is how often the policy file is checked for changes.
	// Default 2s.
	ReloadEvery time.Duration
	// ExpireEvery is how often pending holds are checked for expiry.
	// Default 1s.
	ExpireEvery time.Duration
	// ExpireGrace is how long past a hold's expiry its owner waits before
	// writing hold.expired: an approval stamped just before the expiry may
	// still be on its way to the broker (expiry.go). Default 2s.
	ExpireGrace time.Duration
	// Webhook, when its URL is set, announces holds opening and ending
	// (docs/notifications.md).
	Webhook notify.Config
}

func (c *Config) setDefaults() {
	if c.Group == "" {
		c.Group = c.Bus.GroupName("decider")
	}
	if c.ReloadEvery == 0 {
		c.ReloadEvery = 2 * time.Second
	}
	if c.ExpireEvery == 0 {
		c.ExpireEvery = time.Second
	}
	if c.ExpireGrace == 0 {
		c.ExpireGrace = 2 * time.Second
	}
}

// Validate reports a configuration that cannot work.
func (c Config) Validate() error {
	switch {
	case c.Instance == "":
		return errors.New("decider: an instance id is required")
	case c.PolicyFile == "":
		return errors.New("decider: a policy file is required (--policy)")
	case len(c.DecisionKey) < schemas.MinKeyLen:
		return errors.New("decider: a decision key of at least 16 bytes is required (--decision-key)")
	case len(c.HoldsKey) < schemas.MinKeyLen:
		return errors.New("decider: a holds key of at least 16 bytes is required (--holds-key, shared with the ingresses)")
	case c.ExpireGrace < 0:
		return errors.New("decider: the expiry grace cannot be negative")
	}
	if c.Webhook.URL != "" {
		if err := c.Webhook.Validate(); err != nil {
			return err
		}
	}
	return c.Bus.Validate()
}
