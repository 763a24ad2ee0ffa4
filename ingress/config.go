package ingress

import (
	"errors"
	"fmt"
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
	// MaxBody bounds a request body once the caller's session token has
	// opened; before that, the ingress reads no body at all (and at most
	// 64 KiB of the one unsigned call, AssumeRoleWithWebIdentity). Bodies
	// that stream (S3 object uploads: a blob payload with its hash or mode
	// declared in X-Amz-Content-Sha256) pass through a fixed amount of
	// memory, so this is S3's own single-PUT limit by default: 5 GiB.
	MaxBody int64
	// MaxParsedBody bounds the bodies the ingress holds whole: those the
	// identifier must parse (JSON, XML, CBOR, form parameters) and those
	// signed over a SHA-256 they do not declare (verified only once read).
	// Default 16 MiB, DynamoDB's largest request.
	MaxParsedBody int64

	// MaxHeaderBytes bounds the request line and headers. Default 64 KiB.
	MaxHeaderBytes int
	// ReadHeaderTimeout bounds reading the request line and headers.
	// Default 10s.
	ReadHeaderTimeout time.Duration
	// IdleTimeout closes a keep-alive connection idle this long. Default
	// 120s.
	IdleTimeout time.Duration
	// BodyIdleTimeout cuts off a body read that makes no progress this long.
	// Default 20s.
	BodyIdleTimeout time.Duration
	// BodyMinRate and BodyGrace cut off a body trickled in slowly: after
	// BodyGrace, the body must have arrived at BodyMinRate bytes per second
	// on average, so byte n is due by start + BodyGrace + n/BodyMinRate.
	// Large uploads at any usable speed pass. Defaults 4 KiB/s and 10s.
	BodyMinRate int64
	BodyGrace   time.Duration

	// MaxInFlight bounds the agent calls this replica serves at once
	// (waiting ones included); more are answered with the protocol's
	// throttling error and Retry-After. Default 1024.
	MaxInFlight int
	// MaxInFlightPerPrincipal bounds one principal's calls at once (by OIDC
	// issuer and subject), so one agent cannot take the whole replica.
	// Default 64 (or MaxInFlight when that is smaller).
	MaxInFlightPerPrincipal int
	// DoorLogQueue bounds the events of answers at the door waiting to be
	// published (the door log: every call answered at the door, throttled,
	// refused while the broker is down, unauthenticated or rejected, as a
	// request.refused, with a security.refused when it may be an attack;
	// every credential exchange, as a session.issued or a
	// request.refused); beyond it they are dropped and counted. Default
	// 4096 (about 2 MiB at most: each event's free text is bounded).
	DoorLogQueue int
	// UntrustedRefusalRate bounds the calls per second of callers that did
	// not prove their secret whose events the door log keeps (outcome
	// unauthenticated, or rejected before a session opened or for a
	// replayed signature: unsigned junk, a captured request or token sent
	// again; an exchange whose web identity token did not verify), in
	// bursts of as many; beyond it their events are dropped and counted,
	// so a flood of garbage-signed requests writes at most this rate of
	// calls' events to Kafka. Default 100.
	UntrustedRefusalRate int

	// ReplayLookback is how far back a starting replica reads the
	// signatures topic to learn the signatures other replicas accepted.
	// It must cover the longest validity of a signature the gateway
	// refuses to see twice: 30 minutes for the header form (X-Amz-Date
	// ±15 minutes), the session lifetime (at most 12h) for single-use
	// presigned URLs. Default 12h.
	ReplayLookback time.Duration
}

// Defaults of the limits above.
const (
	DefaultMaxBody                 = 5 << 30
	DefaultMaxParsedBody           = 16 << 20
	DefaultMaxHeaderBytes          = 64 << 10
	DefaultReadHeaderTimeout       = 10 * time.Second
	DefaultIdleTimeout             = 120 * time.Second
	DefaultBodyIdleTimeout         = 20 * time.Second
	DefaultBodyMinRate             = 4 << 10
	DefaultBodyGrace               = 10 * time.Second
	DefaultMaxInFlight             = 1024
	DefaultMaxInFlightPerPrincipal = 64
	DefaultReplayLookback          = 12 * time.Hour
	DefaultDoorLogQueue            = 4096
	DefaultUntrustedRefusalRate    = 100
)

func (c *Config) setDefaults() {
	if c.Listen == "" && c.TLSListen == "" {
		c.Listen = "127.0.0.1:8080"
	}
	if c.Wait == 0 {
		c.Wait = 30 * time.Second
	}
	setDefault(&c.MaxBody, DefaultMaxBody)
	setDefault(&c.MaxParsedBody, min(DefaultMaxParsedBody, c.MaxBody))
	setDefault(&c.MaxHeaderBytes, DefaultMaxHeaderBytes)
	setDefault(&c.ReadHeaderTimeout, DefaultReadHeaderTimeout)
	setDefault(&c.IdleTimeout, DefaultIdleTimeout)
	setDefault(&c.BodyIdleTimeout, DefaultBodyIdleTimeout)
	setDefault(&c.BodyMinRate, DefaultBodyMinRate)
	setDefault(&c.BodyGrace, DefaultBodyGrace)
	setDefault(&c.MaxInFlight, DefaultMaxInFlight)
	setDefault(&c.MaxInFlightPerPrincipal, min(DefaultMaxInFlightPerPrincipal, c.MaxInFlight))
	setDefault(&c.ReplayLookback, DefaultReplayLookback)
	setDefault(&c.DoorLogQueue, DefaultDoorLogQueue)
	setDefault(&c.UntrustedRefusalRate, DefaultUntrustedRefusalRate)
}

func setDefault[T int | int64 | time.Duration](v *T, def T) {
	if *v == 0 {
		*v = def
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
	if c.Wait < 0 || c.MaxBody < 0 || c.MaxParsedBody < 0 {
		return errors.New("ingress: wait and max body must not be negative")
	}
	if c.MaxHeaderBytes < 0 || c.ReadHeaderTimeout < 0 || c.IdleTimeout < 0 || c.BodyIdleTimeout < 0 ||
		c.BodyMinRate < 0 || c.BodyGrace < 0 || c.MaxInFlight < 0 || c.MaxInFlightPerPrincipal < 0 || c.ReplayLookback < 0 || c.DoorLogQueue < 0 || c.UntrustedRefusalRate < 0 {
		return errors.New("ingress: limits and timeouts must not be negative")
	}
	if c.MaxInFlightPerPrincipal > c.MaxInFlight {
		return fmt.Errorf("ingress: --max-in-flight-per-principal (%d) exceeds --max-in-flight (%d)", c.MaxInFlightPerPrincipal, c.MaxInFlight)
	}
	return c.Bus.Validate()
}
