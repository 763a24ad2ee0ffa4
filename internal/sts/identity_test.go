package sts

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jitgate/jitgate/internal/rolelist"
)

// TestGroupsSeparator: a string-valued groups claim is refused by default,
// at AssumeRoleWithWebIdentity and at the approver API's Authenticate, and
// split only on the separator an operator configured.
func TestGroupsSeparator(t *testing.T) {
	ctx := context.Background()
	strict := newEnv(t, nil)
	semi := newEnv(t, func(c *Config) { c.Issuers[0].GroupsSeparator = ";" })
	tests := []struct {
		name    string
		e       *env
		groups  any
		want    []string
		wantErr bool
	}{
		{"list, default", strict, []string{"ops,admins", "devs"}, []string{"ops,admins", "devs"}, false},
		{"string, default: refused", strict, "ops,admins", nil, true},
		{"one-word string, default: refused", strict, "admins", nil, true},
		{"string split on the configured separator only", semi, "ops,admins; devs", []string{"ops,admins", "devs"}, false},
		{"list with a separator configured", semi, []string{"a;b"}, []string{"a;b"}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tok := mint(t, tt.e.trusted, map[string]any{"sub": "agent-1", "aud": testAudience, "groups": tt.groups})
			p, err := tt.e.svc.Authenticate(ctx, tok)
			out, aerr := tt.e.svc.AssumeRoleWithWebIdentity(ctx, AssumeRoleInput{RoleARN: testRole, RoleSessionName: "s1", WebIdentityToken: tok})
			if tt.wantErr {
				for _, err := range []error{err, aerr} {
					var se *Error
					if !errors.As(err, &se) || !errors.Is(err, ErrInvalidIdentityToken) || !strings.Contains(se.Message, "--oidc-groups-separator") {
						t.Fatalf("err = %v, want InvalidIdentityToken naming --oidc-groups-separator", err)
					}
				}
				return
			}
			if err != nil || aerr != nil {
				t.Fatal(err, aerr)
			}
			if !slices.Equal(p.Groups, tt.want) || !slices.Equal(out.Session.Principal.Groups, tt.want) {
				t.Fatalf("groups %q and %q, want %q", p.Groups, out.Session.Principal.Groups, tt.want)
			}
		})
	}
}

// TestSessionLifetime: a session ends no later than the web identity token,
// unless SessionBeyondToken is configured.
func TestSessionLifetime(t *testing.T) {
	ctx := context.Background()
	bounded := newEnv(t, nil)
	beyond := newEnv(t, func(c *Config) { c.SessionBeyondToken = true })
	tests := []struct {
		name     string
		e        *env
		tokenTTL time.Duration
		duration int64
		want     time.Duration // 0: the token's expiry exactly
		wantErr  error
	}{
		{"default ttl capped by a 20m token", bounded, 20 * time.Minute, 0, 0, nil},
		{"12h request capped by a 2h token", bounded, 2 * time.Hour, 43200, 0, nil},
		{"token outlives the request", bounded, 3 * time.Hour, 3600, time.Hour, nil},
		{"5m token gives a 5m session", bounded, 5 * time.Minute, 0, 0, nil},
		{"token with seconds left", bounded, 3 * time.Second, 0, 0, nil},
		{"beyond: default ttl past a 20m token", beyond, 20 * time.Minute, 0, time.Hour, nil},
		{"beyond: 12h past a 2h token", beyond, 2 * time.Hour, 43200, 12 * time.Hour, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			now := time.Now()
			exp := now.Add(tt.tokenTTL)
			tok := mint(t, tt.e.trusted, map[string]any{"sub": "agent-1", "aud": testAudience, "exp": exp.Unix(), "iat": now.Unix()})
			out, err := tt.e.svc.AssumeRoleWithWebIdentity(ctx, AssumeRoleInput{RoleARN: testRole, RoleSessionName: "s1", WebIdentityToken: tok, DurationSeconds: tt.duration})
			if tt.wantErr != nil {
				if !errors.Is(err, tt.wantErr) {
					t.Fatalf("err = %v, want %v", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			got := out.Session.Expires
			tokenExp := time.Unix(exp.Unix(), 0)
			if tt.want == 0 {
				if got.After(tokenExp) || got.Before(tokenExp.Add(-2*time.Second)) {
					t.Fatalf("session expires %v, token %v: want the token's expiry", got, tokenExp)
				}
				return
			}
			if d := got.Sub(out.Session.IssuedAt); d != tt.want {
				t.Fatalf("session lasts %v, want %v", d, tt.want)
			}
		})
	}
}

// TestAllowedRoles: a RoleArn outside the allow-list (for the principal's
// groups) is AccessDenied naming --allowed-roles, and the exchange says so
// (RoleRefused, with the verified principal) for the ingress's security
// record; an empty list allows none.
func TestAllowedRoles(t *testing.T) {
	ctx := context.Background()
	listed := newEnv(t, nil)
	none := newEnv(t, func(c *Config) { c.AllowedRoles = rolelist.List{} })
	tests := []struct {
		name   string
		e      *env
		groups []string
		role   string
		ok     bool
		msg    string
	}{
		{"listed glob", listed, nil, "arn:aws:iam::123456789012:role/team/writer", true, ""},
		{"group entry, member", listed, []string{"admins"}, "arn:aws:iam::123456789012:role/admin", true, ""},
		{"group entry, not a member", listed, []string{"devs"}, "arn:aws:iam::123456789012:role/admin", false, "on the gateway's role allow-list"},
		{"other account", listed, nil, "arn:aws:iam::210987654321:role/team/writer", false, "--allowed-roles"},
		{"empty list allows nothing", none, []string{"admins"}, testRole, false, "allows no role yet"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tok := mint(t, tt.e.trusted, map[string]any{"sub": "agent-1", "aud": testAudience, "groups": tt.groups})
			_, x := tt.e.svc.exchange(ctx, AssumeRoleInput{RoleARN: tt.role, RoleSessionName: "s1", WebIdentityToken: tok})
			if tt.ok {
				if x.Err != nil || x.RoleRefused() {
					t.Fatalf("err = %v", x.Err)
				}
				return
			}
			var err error = x.Err
			var se *Error
			if !errors.As(err, &se) || !errors.Is(err, ErrAccessDenied) || se.HTTPStatus() != http.StatusForbidden ||
				!strings.Contains(se.Message, tt.msg) || !strings.Contains(se.Message, tt.role) {
				t.Fatalf("err = %v, want AccessDenied mentioning %q", err, tt.msg)
			}
			if !x.RoleRefused() || x.Principal == nil || x.Principal.Subject != "agent-1" || x.Role != tt.role || x.AccessKeyID != "" {
				t.Fatalf("exchange %+v", x)
			}
		})
	}
}
