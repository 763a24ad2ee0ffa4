package executor

import (
	"fmt"
	"net/url"
	"time"

	"github.com/jitgate/jitgate/internal/bus"
	"github.com/jitgate/jitgate/internal/rolelist"
)

// Defaults.
const (
	DefaultTimeout         = 60 * time.Second
	DefaultMaxResponseBody = 256 << 20
	DefaultSTSRegion       = "us-east-1"
	// MinDecisionKey is the shortest decision key accepted, in bytes.
	MinDecisionKey = 16
	// DefaultMaxWait matches the ingress's default --wait.
	DefaultMaxWait = 30 * time.Second
	// DefaultRecoverMargin is added to Timeout before a call another
	// executor started is taken for abandoned (see Config.RecoverMargin).
	DefaultRecoverMargin = 30 * time.Second
)

// DefaultAllowedSuffixes are the DNS suffixes of AWS partitions. Endpoints
// from the table outside them are refused.
var DefaultAllowedSuffixes = []string{
	".amazonaws.com", ".amazonaws.com.cn", ".api.aws", ".on.aws",
	".c2s.ic.gov", ".sc2s.sgov.gov", ".cloud.adc-e.uk", ".csp.hci.ic.gov", ".amazonaws.eu",
}

// Config configures the executor.
type Config struct {
	Bus bus.Config
	// Group is the consumer group. Default bus.Config.GroupName("executor"): "jitgate-executor" with the default topic prefix.
	Group string
	// Instance distinguishes this replica in the group. Required.
	Instance string
	// Parallel bounds concurrent upstream calls. Default 16.
	Parallel int
	// DecisionKey is the HMAC key shared with deciders (at least 16 bytes).
	// Decisions whose envelope does not verify are refused. Required.
	DecisionKey []byte
	// MaxWait is the longest time any ingress makes an agent wait (its
	// --wait), so the furthest a request's deadline lies ahead. The
	// executor remembers started request ids over MaxWait plus a margin
	// (rebuilt from the executions topic at start) and refuses decisions
	// whose deadline lies further ahead. Default 30s.
	MaxWait time.Duration
	// Upstream, when set, is a base URL (http or https) every call goes to,
	// for example the awsemu emulator. "" sends calls to real AWS through
	// Deps.Endpoints.
	Upstream string
	// UpstreamServices are the botocore service ids the Upstream implements
	// (for the dev emulator, awsemu.Services()). With Upstream set, a call
	// for any other service is refused. nil means unknown: every service
	// may be sent, and services sharing a signing name count as
	// implemented. See target.go for the rule that keeps one upstream host
	// from running a call as another service.
	UpstreamServices []string
	// AllowedSuffixes are the host suffixes endpoint-table URLs must end in.
	// Default DefaultAllowedSuffixes. Not applied to Upstream.
	AllowedSuffixes []string
	// AssumeSessionRole makes the executor assume the role the agent named
	// for its session (Request.Role) when the decision names none. Default
	// false: such calls use Deps.Credentials. Requires AllowedRoles.
	AssumeSessionRole bool
	// AllowedRoles are the only roles the executor ever assumes, whether a
	// decision's Role (from a policy rule) or the session's (with
	// AssumeSessionRole): ARN globs; GROUP= qualifiers are accepted (so one
	// list serves the ingress and the executor) and ignored here. A call
	// naming any other role fails without reaching AWS. The zero List allows
	// none: the executor then only uses Deps.Credentials.
	//
	// This repeats the ingress's check on purpose: the executor does not
	// trust the role an event carries to have been vetted upstream.
	AllowedRoles rolelist.List
	// STSRegion is where the default AssumeRole client signs. Default
	// "us-east-1".
	STSRegion string
	// Timeout bounds how long an upstream call may go without progress:
	// until the answer's headers arrive, and then between any two reads of
	// a body sent or received (so a large transfer that keeps moving is
	// never cut off). Default 60s.
	Timeout time.Duration
	// RecoverMargin bounds, with Timeout, how long a call another executor
	// started may stay open (execution.started without execution.finished)
	// before the replica owning its request ends it: after Timeout +
	// RecoverMargin from its start, the call is taken for abandoned by a
	// crashed executor (recover.go). The margin absorbs publishing and tail
	// lag. A call this process runs is never taken for abandoned, and one
	// an earlier process with the same Instance started is abandoned at
	// once. Default 30s.
	RecoverMargin time.Duration
	// MaxInlineBody is the largest response body carried inside
	// execution.finished; larger ones follow as chunks. Default and maximum
	// bus.ChunkSize.
	MaxInlineBody int
	// MaxResponseBody caps the response body read; a larger answer ends as
	// an error. Default 256 MiB.
	MaxResponseBody int64
}

func (c *Config) setDefaults() {
	if c.Group == "" {
		c.Group = c.Bus.GroupName("executor")
	}
	if c.Parallel == 0 {
		c.Parallel = 16
	}
	if c.AllowedSuffixes == nil {
		c.AllowedSuffixes = DefaultAllowedSuffixes
	}
	if c.STSRegion == "" {
		c.STSRegion = DefaultSTSRegion
	}
	if c.Timeout == 0 {
		c.Timeout = DefaultTimeout
	}
	if c.MaxWait == 0 {
		c.MaxWait = DefaultMaxWait
	}
	if c.RecoverMargin == 0 {
		c.RecoverMargin = DefaultRecoverMargin
	}
	if c.MaxInlineBody == 0 {
		c.MaxInlineBody = bus.ChunkSize
	}
	if c.MaxResponseBody == 0 {
		c.MaxResponseBody = DefaultMaxResponseBody
	}
}

// Validate reports a configuration that cannot work. It is called by New
// after defaults are applied.
func (c Config) Validate() error {
	if err := c.Bus.Validate(); err != nil {
		return err
	}
	switch {
	case c.Instance == "":
		return fmt.Errorf("%w: Instance is required (set a replica id)", ErrConfig)
	case len(c.DecisionKey) < MinDecisionKey:
		return fmt.Errorf("%w: DecisionKey must be at least %d bytes (the key deciders seal decisions with)", ErrConfig, MinDecisionKey)
	case c.Timeout < 0 || c.Parallel < 0 || c.MaxWait < 0 || c.RecoverMargin < 0:
		return fmt.Errorf("%w: Timeout, Parallel, MaxWait and RecoverMargin must not be negative", ErrConfig)
	case c.MaxInlineBody < 0 || c.MaxInlineBody > bus.ChunkSize:
		return fmt.Errorf("%w: MaxInlineBody must be between 1 and %d", ErrConfig, bus.ChunkSize)
	case c.MaxResponseBody < 0:
		return fmt.Errorf("%w: MaxResponseBody must not be negative", ErrConfig)
	case c.AssumeSessionRole && c.AllowedRoles.Empty():
		return fmt.Errorf("%w: AssumeSessionRole needs AllowedRoles (--allowed-roles): the roles agents may have the executor assume", ErrConfig)
	}
	if c.Upstream != "" {
		if _, err := parseUpstream(c.Upstream); err != nil {
			return err
		}
	}
	return nil
}

func parseUpstream(s string) (*url.URL, error) {
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" || u.User != nil {
		return nil, fmt.Errorf("%w: Upstream %q must be an http(s) base URL without query", ErrConfig, s)
	}
	return u, nil
}
