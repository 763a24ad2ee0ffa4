package recorder

import (
	"fmt"
	"log/slog"
	"net"
	"regexp"
	"time"

	"github.com/jitgate/jitgate/internal/bus"
	"github.com/jitgate/jitgate/internal/redact"
)

// DefaultBodyCap is the body cap the CLI should default to (bytes).
const DefaultBodyCap = 4096

// Config configures a Recorder.
type Config struct {
	// Bus locates the brokers and topics. Required.
	Bus bus.Config
	// Group is the Kafka consumer group. Default bus.Config.GroupName("recorder"): "jitgate-recorder" with the default topic prefix.
	Group string
	// Instance is the recorder's stable identity in the group (its static
	// member id, bus.BatchConfig.Instance): restarted with the same one,
	// it takes its partitions back at once; stopped cleanly, it leaves
	// the group. Empty: a dynamic member, which a restart rejoins as a
	// stranger after a rebalance.
	Instance string
	// ClickHouse is the server's native-protocol address (host:port).
	// Required.
	ClickHouse string
	// Database holds the recorder's tables; created when missing. Default
	// "jitgate". Letters, digits and underscores only.
	Database string
	// Username and Password authenticate to ClickHouse. Default user
	// "default", no password.
	Username, Password string
	// BodyCap is how many bytes of each masked request or response body are
	// kept. 0 keeps none (the zero Config stores no bodies); the CLI
	// defaults to DefaultBodyCap.
	BodyCap int
	// BatchSize bounds the events per INSERT. Default 5000.
	BatchSize int
	// Timeout bounds each ClickHouse call (connect, migrate step, insert).
	// Default 30s.
	Timeout time.Duration
	// DownLogEvery is how often a still-unreachable ClickHouse is logged
	// again after the first message. Default 5 minutes.
	DownLogEvery time.Duration
}

// Deps are the recorder's collaborators.
type Deps struct {
	// Logger defaults to slog.Default().
	Logger *slog.Logger
	// Redactor masks bodies and parameters before they are stored. Nil
	// means an engine with only the built-in credential rules.
	Redactor *redact.Engine
}

var identRE = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

func (c *Config) setDefaults() {
	if c.Group == "" {
		c.Group = c.Bus.GroupName("recorder")
	}
	if c.Database == "" {
		c.Database = "jitgate"
	}
	if c.Username == "" {
		c.Username = "default"
	}
	if c.BatchSize <= 0 {
		c.BatchSize = 5000
	}
	if c.Timeout <= 0 {
		c.Timeout = 30 * time.Second
	}
	if c.DownLogEvery <= 0 {
		c.DownLogEvery = 5 * time.Minute
	}
}

// Validate reports a configuration that cannot work. Defaults are applied
// first.
func (c Config) Validate() error {
	c.setDefaults()
	if err := c.Bus.Validate(); err != nil {
		return fmt.Errorf("%w: %w", ErrConfig, err)
	}
	if c.ClickHouse == "" {
		return fmt.Errorf("%w: no ClickHouse address (host:port of the native protocol, usually port 9000)", ErrConfig)
	}
	if _, _, err := net.SplitHostPort(c.ClickHouse); err != nil {
		return fmt.Errorf("%w: ClickHouse address %q: want host:port of the native protocol: %w", ErrConfig, c.ClickHouse, err)
	}
	if !identRE.MatchString(c.Database) {
		return fmt.Errorf("%w: database name %q: use letters, digits and underscores", ErrConfig, c.Database)
	}
	if c.BodyCap < 0 {
		return fmt.Errorf("%w: body cap %d is negative (0 keeps no bodies)", ErrConfig, c.BodyCap)
	}
	return nil
}
