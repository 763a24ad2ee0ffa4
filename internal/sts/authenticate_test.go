package sts

import (
	"context"
	"errors"
	"slices"
	"testing"
)

func TestAuthenticate(t *testing.T) {
	e := newEnv(t, nil)
	ctx := context.Background()
	good := mint(t, e.trusted, map[string]any{"sub": "alice", "aud": testAudience, "groups": []string{"approvers"}})
	p, err := e.svc.Authenticate(ctx, good)
	if err != nil {
		t.Fatal(err)
	}
	if p.Subject != "alice" || p.Issuer != e.trusted.URL() || !slices.Equal(p.Groups, []string{"approvers"}) {
		t.Fatalf("principal = %+v", p)
	}
	for name, tok := range map[string]string{
		"untrusted issuer": mint(t, e.untrusted, map[string]any{"sub": "alice", "aud": testAudience}),
		"wrong audience":   mint(t, e.trusted, map[string]any{"sub": "alice", "aud": "elsewhere"}),
		"garbage":          "not-a-jwt",
	} {
		t.Run(name, func(t *testing.T) {
			_, err := e.svc.Authenticate(ctx, tok)
			if !errors.Is(err, ErrInvalidIdentityToken) {
				t.Fatalf("got %v, want ErrInvalidIdentityToken", err)
			}
		})
	}
}
