package sts

import (
	"fmt"
	"net/http"
	"net/url"
	"time"

	"github.com/jitgate/jitgate/internal/rolelist"
	"github.com/jitgate/jitgate/internal/session"
)

// Defaults and limits for session lifetimes.
const (
	// DefaultTTL is the lifetime of a session when the request has no
	// DurationSeconds. boto3 refreshes credentials 15 minutes before they
	// expire, so anything much under an hour makes it refresh constantly.
	DefaultTTL = time.Hour
	// DefaultMaxTTL is the longest session a request may ask for by default.
	DefaultMaxTTL = 12 * time.Hour
	// MinTTL is the shortest session a request may ask for (STS's 900 s).
	MinTTL = 15 * time.Minute
	// LimitTTL bounds Config.MaxTTL (STS's 43200 s).
	LimitTTL = 12 * time.Hour
	// DefaultGroupsClaim is the claim groups are read from by default.
	DefaultGroupsClaim = "groups"
	// DefaultHTTPTimeout bounds discovery and JWKS requests when Config has
	// no HTTPClient.
	DefaultHTTPTimeout = 10 * time.Second
)

// IssuerConfig is one trusted OIDC issuer.
type IssuerConfig struct {
	// URL is the issuer URL; a token's iss must equal it exactly.
	URL string
	// Audience is the client id tokens must be issued for (in aud). Required.
	Audience string
	// GroupsClaim names the claim holding the principal's groups. Default
	// "groups". The claim must be a JSON list of strings; a string value is
	// refused unless GroupsSeparator is set.
	GroupsClaim string
	// GroupsSeparator, when set, lets the groups claim also be one string,
	// split on this separator (for an IdP that sends "a,b"). Empty (the
	// default) refuses a string-valued groups claim rather than guessing how
	// to split it: a group name with a comma in it must never become two.
	GroupsSeparator string
	// Claims names string claims copied into session.Principal.Claims (for
	// example "email", or GitHub's "repository" and "ref"). Claims that are
	// absent or not strings are skipped. Optional.
	Claims []string
}

// Config configures a Service.
type Config struct {
	// Issuers are the trusted OIDC issuers. At least one is required.
	Issuers []IssuerConfig
	// Sealer seals the sessions issued. Required.
	Sealer *session.Sealer
	// DefaultTTL is the session lifetime when the request names none.
	// Default 1h; at least MinTTL and at most MaxTTL.
	DefaultTTL time.Duration
	// MaxTTL is the longest DurationSeconds accepted. Default 12h, at most 12h.
	MaxTTL time.Duration
	// Now is the clock for token expiry and sessions. Default time.Now.
	Now func() time.Time
	// AllowedRoles lists the RoleArns agents may name (ARN globs, optionally
	// per OIDC group; see package rolelist). Any other RoleArn is answered
	// AccessDenied. The zero List allows none: default deny.
	AllowedRoles rolelist.List
	// SessionBeyondToken lets a session outlive the web identity token it was
	// exchanged for, up to DurationSeconds (or DefaultTTL). Default false:
	// a session expires no later than the token's exp, so revoking or
	// expiring the identity at the IdP ends the agent's access on time.
	SessionBeyondToken bool
	// HTTPClient fetches discovery documents and keys. Default: a client with
	// a DefaultHTTPTimeout timeout.
	HTTPClient *http.Client
}

// withDefaults returns a copy of c with defaults applied.
func (c Config) withDefaults() Config {
	if c.DefaultTTL == 0 {
		c.DefaultTTL = DefaultTTL
	}
	if c.MaxTTL == 0 {
		c.MaxTTL = max(DefaultMaxTTL, c.DefaultTTL)
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.HTTPClient == nil {
		c.HTTPClient = &http.Client{Timeout: DefaultHTTPTimeout}
	}
	c.Issuers = append([]IssuerConfig(nil), c.Issuers...)
	for i := range c.Issuers {
		if c.Issuers[i].GroupsClaim == "" {
			c.Issuers[i].GroupsClaim = DefaultGroupsClaim
		}
	}
	return c
}

// Validate reports the first problem with c, after defaults are applied.
func (c Config) Validate() error {
	c = c.withDefaults()
	if c.Sealer == nil {
		return fmt.Errorf("%w: Sealer is required", ErrConfig)
	}
	if len(c.Issuers) == 0 {
		return fmt.Errorf("%w: at least one trusted issuer is required", ErrConfig)
	}
	if c.DefaultTTL < MinTTL || c.DefaultTTL > c.MaxTTL {
		return fmt.Errorf("%w: DefaultTTL %v must be between %v and MaxTTL %v", ErrConfig, c.DefaultTTL, MinTTL, c.MaxTTL)
	}
	if c.MaxTTL > LimitTTL {
		return fmt.Errorf("%w: MaxTTL %v is over %v", ErrConfig, c.MaxTTL, LimitTTL)
	}
	seen := map[string]bool{}
	for i, ic := range c.Issuers {
		u, err := url.Parse(ic.URL)
		if err != nil || u.Scheme == "" || u.Host == "" {
			return fmt.Errorf("%w: issuer %d: URL %q is not an absolute URL", ErrConfig, i, ic.URL)
		}
		if seen[ic.URL] {
			return fmt.Errorf("%w: issuer %q listed twice", ErrConfig, ic.URL)
		}
		seen[ic.URL] = true
		if ic.Audience == "" {
			return fmt.Errorf("%w: issuer %q: Audience (client id) is required", ErrConfig, ic.URL)
		}
	}
	return nil
}
