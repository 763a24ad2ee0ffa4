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

// verify checks raw against this issuer and returns the principal.
func (i *issuer) verify(ctx context.Context, raw string, peeked unverifiedClaims) (session.Principal, error) {
	v, err := i.getVerifier(ctx)
	if err != nil {
		return session.Principal{}, err
	}
	tok, err := v.Verify(ctx, raw)
	if err != nil {
		var expired *oidc.TokenExpiredError
		switch {
		case errors.As(err, &expired):
			return session.Principal{}, newError(ErrExpiredToken,
				fmt.Sprintf("Token expired: the web identity token expired at %s; get a new one from %s",
					expired.Expiry.UTC().Format(time.RFC3339), i.cfg.URL), err)
		case !slices.Contains(peeked.Aud, i.cfg.Audience):
			return session.Principal{}, newError(ErrInvalidIdentityToken,
				fmt.Sprintf("Incorrect token audience: the token must be issued for %q", i.cfg.Audience), err)
		}
		return session.Principal{}, newError(ErrInvalidIdentityToken,
			"the web identity token did not verify (signature, issuer or not-before time)", err)
	}
	if tok.Subject == "" {
		return session.Principal{}, newError(ErrInvalidIdentityToken, "the web identity token has no sub claim", nil)
	}
	var claims map[string]any
	if err := tok.Claims(&claims); err != nil {
		return session.Principal{}, newError(ErrInvalidIdentityToken, "the web identity token's claims do not decode", err)
	}
	groups, err := groupsClaim(claims[i.cfg.GroupsClaim])
	if err != nil {
		return session.Principal{}, newError(ErrInvalidIdentityToken,
			fmt.Sprintf("claim %q must be a list of strings or a comma-separated string", i.cfg.GroupsClaim), err)
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
	return p, nil
}

// errGroupsType is the cause for a groups claim of the wrong JSON type.
var errGroupsType = errors.New("unexpected JSON type")

// groupsClaim reads a groups claim: absent or null gives nil; a string is a
// comma-separated list; an array must hold only strings.
func groupsClaim(v any) ([]string, error) {
	switch v := v.(type) {
	case nil:
		return nil, nil
	case string:
		var out []string
		for g := range strings.SplitSeq(v, ",") {
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
