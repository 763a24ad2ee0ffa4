package ingress

import (
	"errors"
	"time"

	"github.com/jitgate/jitgate/internal/bus"
)

// Config configures an Ingress.
type Config struct {
	Bus bus.Config
	// Listen is the plain-HTTP address. Plain HTTP is for loopback and
	// trusted networks only. Default "127.0.0.1:8080"; "" with TLSListen set
	// disables it.
	Listen string
	// TLSListen, TLSCert and TLSKey serve HTTPS (the Go SDK needs HTTPS for
	// streaming bodies). All three or none.
	TLSListen, TLSCert, TLSKey string
	// Replica names this replica; replies are addressed to it. Must be unique
	// among running replicas. Required.
	Replica string
	// Wait is how long an agent's call waits for its outcome (a decision, an
	// approval, the upstream's answer). Default 30s.
	Wait time.Duration
	// MaxBody bounds a request body. Default 256 MiB.
	MaxBody int64
}

func (c *Config) setDefaults() {
	if c.Listen == "" && c.TLSListen == "" {
		c.Listen = "127.0.0.1:8080"
	}
	if c.Wait == 0 {
		c.Wait = 30 * time.Second
	}
	if c.MaxBody == 0 {
		c.MaxBody = 256 << 20
	}
}

// Validate reports a configuration that cannot work.
func (c Config) Validate() error {
	if c.Replica == "" {
		return errors.New("ingress: a replica id is required (--replica)")
	}
	if (c.TLSListen != "") != (c.TLSCert != "" && c.TLSKey != "") {
		return errors.New("ingress: HTTPS needs --tls-listen, --tls-cert and --tls-key together")
	}
	if c.Wait < 0 || c.MaxBody < 0 {
		return errors.New("ingress: wait and max body must not be negative")
	}
	return c.Bus.Validate()
}
