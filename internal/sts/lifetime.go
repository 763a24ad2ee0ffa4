package sts

import (
	"fmt"
	"time"
)

// sessionTTL bounds a requested session lifetime by the web identity
// token's remaining life, unless Config.SessionBeyondToken. A session that
// outlived its token would keep an identity the IdP has since disabled or
// expired working for up to 12 hours.
//
// The result may be shorter than MinTTL: a token with 5 minutes left gives
// a 5-minute session. SDKs take the Expiration they are given; boto3 starts
// refreshing 15 minutes before it (10 minutes is mandatory), so with a
// token file it exchanges again at each call until the file holds a fresh
// token. See docs/architecture.md ("Session lifetime").
func (s *Service) sessionTTL(requested time.Duration, now, tokenExp time.Time) (time.Duration, error) {
	if s.cfg.SessionBeyondToken || tokenExp.IsZero() {
		return requested, nil
	}
	// Whole seconds, rounded down, so the session never ends after the token:
	// the sealer truncates the issue time to the second too.
	left := tokenExp.Sub(now.Truncate(time.Second)).Truncate(time.Second)
	if left < time.Second {
		return 0, newError(ErrExpiredToken,
			fmt.Sprintf("Token expired: the web identity token expires at %s, too soon for a session; get a new one",
				tokenExp.UTC().Format(time.RFC3339)), nil)
	}
	return min(requested, left), nil
}
