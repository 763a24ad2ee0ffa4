package devissuer

import (
	"encoding/json"
	"fmt"
	"maps"
	"time"
)

// Mint returns an RS256 JWT for subject with the given groups (the "groups"
// claim, omitted when nil), audience, and lifetime ttl from now: iss, sub,
// aud, iat, nbf, exp.
func (i *Issuer) Mint(subject string, groups []string, audience string, ttl time.Duration) (string, error) {
	claims := map[string]any{"sub": subject, "aud": audience}
	if groups != nil {
		claims["groups"] = groups
	}
	return i.MintClaims(claims, ttl)
}

// MintClaims returns an RS256 JWT with iss, iat, nbf and exp (= now + ttl)
// set, then overlaid by claims, so a test can set any claim to anything: a
// wrong aud or iss, an exp in the past (a time.Time or Unix seconds), a
// malformed groups claim. A nil value in claims removes that claim.
func (i *Issuer) MintClaims(claims map[string]any, ttl time.Duration) (string, error) {
	now := i.now()
	all := map[string]any{
		"iss": i.url,
		"iat": now.Unix(),
		"nbf": now.Unix(),
		"exp": now.Add(ttl).Unix(),
	}
	maps.Copy(all, claims)
	for k, v := range all {
		switch v := v.(type) {
		case nil:
			delete(all, k)
		case time.Time:
			all[k] = v.Unix()
		}
	}
	payload, err := json.Marshal(all)
	if err != nil {
		return "", fmt.Errorf("devissuer: encode claims: %w", err)
	}
	jws, err := i.signer.Sign(payload)
	if err != nil {
		return "", fmt.Errorf("devissuer: sign: %w", err)
	}
	return jws.CompactSerialize()
}
