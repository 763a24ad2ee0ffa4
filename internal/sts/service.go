package sts

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jitgate/jitgate/internal/session"
)

// Limits STS puts on AssumeRoleWithWebIdentity parameters.
const (
	minRoleARNLen, maxRoleARNLen   = 20, 2048
	minSessionLen, maxSessionLen   = 2, 64
	minWebTokenLen, maxWebTokenLen = 4, 20000
)

// Service answers AssumeRoleWithWebIdentity. It is safe for concurrent use.
type Service struct {
	cfg     Config
	issuers map[string]*issuer // by issuer URL
}

// New validates cfg and returns a Service. It does no network I/O: each
// issuer's discovery runs at its first use (see Discover), so the ingress can
// start before its issuer does. ctx is not retained.
func New(ctx context.Context, cfg Config) (*Service, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg = cfg.withDefaults()
	s := &Service{cfg: cfg, issuers: make(map[string]*issuer, len(cfg.Issuers))}
	for _, ic := range cfg.Issuers {
		s.issuers[ic.URL] = &issuer{cfg: ic, client: cfg.HTTPClient, now: cfg.Now}
	}
	return s, nil
}

// Discover runs OIDC discovery for every issuer that has not been discovered
// yet and returns the failures joined. The ingress may call it at start, or
// from its readiness check; a failure is retried at the next call or request.
func (s *Service) Discover(ctx context.Context) error {
	var errs []error
	for _, ic := range s.cfg.Issuers {
		if _, err := s.issuers[ic.URL].getVerifier(ctx); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// AssumeRoleInput holds the AssumeRoleWithWebIdentity parameters jitgate uses.
type AssumeRoleInput struct {
	RoleARN          string
	RoleSessionName  string
	WebIdentityToken string
	// DurationSeconds is the requested lifetime; 0 means Config.DefaultTTL.
	DurationSeconds int64
}

// AssumeRoleOutput is a successful exchange.
type AssumeRoleOutput struct {
	// Session holds the credentials and the principal.
	Session session.Session
	// SessionToken is the sealed session, the agent's X-Amz-Security-Token.
	SessionToken string
	// AssumedRoleARN is arn:aws:sts::<account>:assumed-role/<role>/<session>.
	AssumedRoleARN string
	// AssumedRoleID is "<role id>:<session name>".
	AssumedRoleID string
	// Provider is the token's issuer; Audience the client id it was issued for.
	Provider, Audience string
}

// AssumeRoleWithWebIdentity validates in, verifies its token against the
// trusted issuer it names, checks the role against Config.AllowedRoles, and
// issues a session that ends no later than the token (unless
// Config.SessionBeyondToken). Every error is an *Error.
func (s *Service) AssumeRoleWithWebIdentity(ctx context.Context, in AssumeRoleInput) (AssumeRoleOutput, error) {
	out, x := s.exchange(ctx, in)
	if x.Err != nil {
		return AssumeRoleOutput{}, x.Err
	}
	return out, nil
}

// exchange is AssumeRoleWithWebIdentity, also returning what the call came
// to for the audit record.
func (s *Service) exchange(ctx context.Context, in AssumeRoleInput) (AssumeRoleOutput, Exchange) {
	x := Exchange{Role: in.RoleARN, SessionName: in.RoleSessionName}
	fail := func(err error) (AssumeRoleOutput, Exchange) {
		x.Err = asError(err)
		return AssumeRoleOutput{}, x
	}
	ttl, err := s.validate(in)
	if err != nil {
		return fail(err)
	}
	p, iss, tokenExp, err := s.authenticate(ctx, in.WebIdentityToken)
	if err != nil {
		return fail(err)
	}
	x.Principal, x.Audience = &p, iss.cfg.Audience
	if err := s.checkRole(in, p); err != nil {
		return fail(err)
	}
	now := s.cfg.Now()
	ttl, err = s.sessionTTL(ttl, now, tokenExp)
	if err != nil {
		return fail(err)
	}
	sess, token, err := s.cfg.Sealer.Issue(p, in.RoleARN, in.RoleSessionName, ttl, now)
	if err != nil {
		if errors.Is(err, session.ErrTokenTooLarge) {
			return fail(newError(ErrValidation, "the token's groups and claims are too large for a session", err))
		}
		return fail(newError(ErrInternal, "could not issue a session", err))
	}
	x.AccessKeyID, x.Expires = sess.AccessKeyID, sess.Expires
	arn, id, _ := assumedRole(in.RoleARN, in.RoleSessionName)
	return AssumeRoleOutput{
		Session:        sess,
		SessionToken:   token,
		AssumedRoleARN: arn,
		AssumedRoleID:  id,
		Provider:       p.Issuer,
		Audience:       iss.cfg.Audience,
	}, x
}

// Authenticate verifies an OIDC token from a trusted issuer (issuer,
// audience, expiry, signature) and returns its principal. The ingress uses it
// for the approver API, where humans and agents present bearer tokens; the
// groups claim is read exactly as for AssumeRoleWithWebIdentity.
// Every error is an *Error.
func (s *Service) Authenticate(ctx context.Context, raw string) (session.Principal, error) {
	p, _, _, err := s.authenticate(ctx, raw)
	return p, err
}

// authenticate verifies raw and returns its principal, its issuer and its
// expiry.
func (s *Service) authenticate(ctx context.Context, raw string) (session.Principal, *issuer, time.Time, error) {
	peeked, err := peekClaims(raw)
	if err != nil {
		return session.Principal{}, nil, time.Time{}, newError(ErrInvalidIdentityToken, "the web identity token is not a well-formed JWT", err)
	}
	iss, ok := s.issuers[peeked.Iss]
	if !ok {
		return session.Principal{}, nil, time.Time{}, newError(ErrInvalidIdentityToken,
			"No OpenIDConnect provider trusted by this gateway for "+quoteShort(peeked.Iss), nil)
	}
	p, exp, err := iss.verify(ctx, raw, peeked)
	if err != nil {
		return session.Principal{}, nil, time.Time{}, err
	}
	return p, iss, exp, nil
}

// validate checks the parameters as STS does and returns the session TTL.
func (s *Service) validate(in AssumeRoleInput) (time.Duration, error) {
	invalid := func(format string, args ...any) (time.Duration, error) {
		return 0, newError(ErrValidation, "1 validation error detected: "+fmt.Sprintf(format, args...), nil)
	}
	switch n := len(in.RoleARN); {
	case n == 0:
		return invalid("RoleArn is required")
	case n < minRoleARNLen || n > maxRoleARNLen:
		return invalid("RoleArn must be %d to %d characters", minRoleARNLen, maxRoleARNLen)
	}
	if _, ok := parseRoleARN(in.RoleARN); !ok {
		return invalid("RoleArn must be an IAM role ARN such as arn:aws:iam::123456789012:role/name")
	}
	switch n := len(in.RoleSessionName); {
	case n == 0:
		return invalid("RoleSessionName is required")
	case n < minSessionLen || n > maxSessionLen || !validChars(in.RoleSessionName, "+=,.@_-"):
		return invalid("RoleSessionName must be %d to %d characters of [\\w+=,.@-]", minSessionLen, maxSessionLen)
	}
	switch n := len(in.WebIdentityToken); {
	case n == 0:
		return invalid("WebIdentityToken is required")
	case n < minWebTokenLen || n > maxWebTokenLen:
		return invalid("WebIdentityToken must be %d to %d characters", minWebTokenLen, maxWebTokenLen)
	}
	if in.DurationSeconds == 0 {
		return s.cfg.DefaultTTL, nil
	}
	lo, hi := int64(MinTTL/time.Second), int64(s.cfg.MaxTTL/time.Second)
	if in.DurationSeconds < lo || in.DurationSeconds > hi {
		return invalid("DurationSeconds must be between %d and %d", lo, hi)
	}
	return time.Duration(in.DurationSeconds) * time.Second, nil
}
