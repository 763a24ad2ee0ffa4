package sts

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"

	"github.com/jitgate/jitgate/internal/session"
)

// issuer is one trusted issuer with its lazily discovered verifier.
type issuer struct {
	cfg    IssuerConfig
	client *http.Client
	now    func() time.Time

	mu       sync.Mutex // held during discovery, so only one runs at a time
	verifier *oidc.IDTokenVerifier
}

// getVerifier returns the issuer's verifier, running discovery first if it
// has not succeeded yet.
func (i *issuer) getVerifier(ctx context.Context) (*oidc.IDTokenVerifier, error) {
	i.mu.Lock()
	defer i.mu.Unlock()
	if i.verifier != nil {
		return i.verifier, nil
	}
	p, err := oidc.NewProvider(oidc.ClientContext(ctx, i.client), i.cfg.URL)
	if err != nil {
		return nil, newError(ErrIDPCommunication,
			fmt.Sprintf("could not fetch the OpenID configuration of %s; try again later", i.cfg.URL), err)
	}
	i.verifier = p.Verifier(&oidc.Config{ClientID: i.cfg.Audience, Now: i.now})
	return i.verifier, nil
}

// verify checks raw against this issuer and returns the principal and the
// token's expiry.
func (i *issuer) verify(ctx context.Context, raw string, peeked unverifiedClaims) (session.Principal, time.Time, error) {
	p, tok, err := i.verifyToken(ctx, raw, peeked)
	if err != nil {
		return session.Principal{}, time.Time{}, err
	}
	return p, tok.Expiry, nil
}

func (i *issuer) verifyToken(ctx context.Context, raw string, peeked unverifiedClaims) (session.Principal, *oidc.IDToken, error) {
	v, err := i.getVerifier(ctx)
	if err != nil {
		return session.Principal{}, nil, err
	}
	tok, err := v.Verify(ctx, raw)
	if err != nil {
		var expired *oidc.TokenExpiredError
		switch {
		case errors.As(err, &expired):
			return session.Principal{}, nil, newError(ErrExpiredToken,
				fmt.Sprintf("Token expired: the web identity token expired at %s; get a new one from %s",
					expired.Expiry.UTC().Format(time.RFC3339), i.cfg.URL), err)
		case !slices.Contains(peeked.Aud, i.cfg.Audience):
			return session.Principal{}, nil, newError(ErrInvalidIdentityToken,
				fmt.Sprintf("Incorrect token audience: the token must be issued for %q", i.cfg.Audience), err)
		}
		return session.Principal{}, nil, newError(ErrInvalidIdentityToken,
			"the web identity token did not verify (signature, issuer or not-before time)", err)
	}
	if tok.Subject == "" {
		return session.Principal{}, nil, newError(ErrInvalidIdentityToken, "the web identity token has no sub claim", nil)
	}
	var claims map[string]any
	if err := tok.Claims(&claims); err != nil {
		return session.Principal{}, nil, newError(ErrInvalidIdentityToken, "the web identity token's claims do not decode", err)
	}
	groups, err := groupsClaim(claims[i.cfg.GroupsClaim], i.cfg.GroupsSeparator)
	if err != nil {
		return session.Principal{}, nil, newError(ErrInvalidIdentityToken, groupsClaimMessage(i.cfg.GroupsClaim, i.cfg.GroupsSeparator, err), err)
	}
	p := session.Principal{Subject: tok.Subject, Issuer: tok.Issuer, Groups: groups}
	for _, name := range i.cfg.Claims {
		if s, ok := claims[name].(string); ok {
			if p.Claims == nil {
				p.Claims = make(map[string]string, len(i.cfg.Claims))
			}
			p.Claims[name] = s
		}
	}
	return p, tok, nil
}

// Causes for a groups claim jitgate will not read.
var (
	errGroupsType   = errors.New("unexpected JSON type")
	errGroupsString = errors.New("a string, and no separator is configured")
)

// groupsClaim reads a groups claim: absent or null gives nil; an array must
// hold only strings; a string is split on sep, and refused when sep is "".
// Splitting is never guessed: an IdP whose group names contain commas would
// otherwise hand a principal groups it is not in.
func groupsClaim(v any, sep string) ([]string, error) {
	switch v := v.(type) {
	case nil:
		return nil, nil
	case string:
		if sep == "" {
			return nil, errGroupsString
		}
		var out []string
		for g := range strings.SplitSeq(v, sep) {
			if g = strings.TrimSpace(g); g != "" {
				out = append(out, g)
			}
		}
		return out, nil
	case []any:
		out := make([]string, 0, len(v))
		for _, e := range v {
			s, ok := e.(string)
			if !ok {
				return nil, fmt.Errorf("%w: list element %T", errGroupsType, e)
			}
			out = append(out, s)
		}
		return out, nil
	}
	return nil, fmt.Errorf("%w: %T", errGroupsType, v)
}

// groupsClaimMessage tells the client why its groups claim was refused and
// what the operator can set.
func groupsClaimMessage(claim, sep string, err error) string {
	if errors.Is(err, errGroupsString) {
		return fmt.Sprintf("claim %q is a string, but jitgate reads groups only from a list of strings; "+
			"if your IdP sends groups as one delimited string, the gateway's operator must set --oidc-groups-separator (for example \",\")", claim)
	}
	if sep != "" {
		return fmt.Sprintf("claim %q must be a list of strings or a string separated by %q", claim, sep)
	}
	return fmt.Sprintf("claim %q must be a list of strings", claim)
}

// unverifiedClaims are read from a token before its signature is checked,
// only to pick the issuer and phrase errors; nothing is trusted from them.
type unverifiedClaims struct {
	Iss string
	Aud []string
}

// peekClaims decodes iss and aud from a compact JWT without verifying it.
func peekClaims(raw string) (unverifiedClaims, error) {
	parts := strings.Split(raw, ".")
	if len(parts) != 3 {
		return unverifiedClaims{}, fmt.Errorf("compact JWT has %d parts, want 3", len(parts))
	}
	payload, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		return unverifiedClaims{}, fmt.Errorf("payload is not base64url: %w", err)
	}
	var c struct {
		Iss string          `json:"iss"`
		Aud json.RawMessage `json:"aud"`
	}
	if err := json.Unmarshal(payload, &c); err != nil {
		return unverifiedClaims{}, fmt.Errorf("payload is not a JSON object: %w", err)
	}
	out := unverifiedClaims{Iss: c.Iss}
	if len(c.Aud) > 0 {
		var one string
		if json.Unmarshal(c.Aud, &one) == nil {
			out.Aud = []string{one}
		} else if err := json.Unmarshal(c.Aud, &out.Aud); err != nil {
			return unverifiedClaims{}, fmt.Errorf("aud is neither a string nor a list of strings: %w", err)
		}
	}
	if out.Iss == "" {
		return unverifiedClaims{}, errors.New("no iss claim")
	}
	return out, nil
}

// quoteShort quotes s for an error message, cut to a length safe to echo.
func quoteShort(s string) string {
	const limit = 200
	if len(s) > limit {
		s = s[:limit] + "..."
	}
	return fmt.Sprintf("%q", s)
}
