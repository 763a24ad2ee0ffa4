package notify

import (
	"fmt"
	"net"
	"net/url"
	"time"
)

// Format selects the webhook body layout.
type Format string

// Formats.
const (
	// FormatJSON posts the Notification as a JSON object (the default).
	FormatJSON Format = "json"
	// FormatSlack posts a Slack incoming-webhook message: text plus blocks.
	FormatSlack Format = "slack"
)

// Defaults and limits.
const (
	// DefaultTimeout bounds one delivery attempt.
	DefaultTimeout = 10 * time.Second
	// DefaultMaxAttempts is how many times Send tries one notification.
	DefaultMaxAttempts = 6
	// MinSecretLen is the shortest accepted signing secret. Use 32 random
	// bytes.
	MinSecretLen = 16

	baseDelay     = 500 * time.Millisecond // first retry waits about this long
	maxDelay      = 30 * time.Second       // backoff cap
	maxRetryAfter = 5 * time.Minute        // longest Retry-After honoured
)

// Config configures a Notifier.
type Config struct {
	// URL is the webhook endpoint. It must be https, except http on a
	// loopback address (127.0.0.1, ::1, localhost) for tests. Required.
	// Treat it as a secret (Slack webhook URLs are bearer tokens): errors
	// and logs show only its scheme and host.
	URL string
	// Secret is the HMAC-SHA256 key for X-Jitgate-Signature; receivers hold
	// the same key. At least MinSecretLen bytes. Required. Never logged.
	Secret []byte
	// Format is the body layout. Default FormatJSON.
	Format Format
	// Timeout bounds each attempt. Default DefaultTimeout.
	Timeout time.Duration
	// MaxAttempts is how many attempts Send makes, the first included.
	// Default DefaultMaxAttempts. Retries back off exponentially with jitter
	// from 500ms up to 30s, and wait at least as long as a Retry-After asks
	// (up to 5 minutes).
	MaxAttempts int
	// PublicURL is the gateway's base URL as approvers reach it. Optional;
	// when set it travels in every notification ("gateway") so receivers
	// can tell approvers where to run the approve and deny commands.
	PublicURL string
}

// Validate checks cfg and fills in defaults.
func (c *Config) Validate() error {
	if c.URL == "" {
		return fmt.Errorf("%w: URL is required", ErrInvalidConfig)
	}
	if err := checkURL(c.URL, true); err != nil {
		return fmt.Errorf("%w: URL: %v", ErrInvalidConfig, err)
	}
	if len(c.Secret) < MinSecretLen {
		return fmt.Errorf("%w: Secret must be at least %d bytes (use 32 random bytes)", ErrInvalidConfig, MinSecretLen)
	}
	switch c.Format {
	case "":
		c.Format = FormatJSON
	case FormatJSON, FormatSlack:
	default:
		return fmt.Errorf("%w: Format %q: want %q or %q", ErrInvalidConfig, c.Format, FormatJSON, FormatSlack)
	}
	if c.Timeout < 0 || c.MaxAttempts < 0 {
		return fmt.Errorf("%w: Timeout and MaxAttempts must not be negative", ErrInvalidConfig)
	}
	if c.Timeout == 0 {
		c.Timeout = DefaultTimeout
	}
	if c.MaxAttempts == 0 {
		c.MaxAttempts = DefaultMaxAttempts
	}
	if c.PublicURL != "" {
		if err := checkURL(c.PublicURL, false); err != nil {
			return fmt.Errorf("%w: PublicURL: %v", ErrInvalidConfig, err)
		}
	}
	return nil
}

// checkURL accepts an absolute http(s) URL without credentials; with
// strict, plain http only for loopback hosts.
func checkURL(raw string, strict bool) error {
	u, err := url.Parse(raw)
	if err != nil {
		return fmt.Errorf("not a URL")
	}
	if u.Host == "" {
		return fmt.Errorf("not an absolute URL")
	}
	if u.User != nil {
		return fmt.Errorf("must not carry credentials")
	}
	switch u.Scheme {
	case "https":
		return nil
	case "http":
		if !strict || isLoopback(u.Hostname()) {
			return nil
		}
		return fmt.Errorf("must be https (plain http only for loopback addresses)")
	default:
		return fmt.Errorf("scheme %q: want https", u.Scheme)
	}
}

func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
