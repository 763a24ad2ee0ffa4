package sts

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jitgate/jitgate/internal/devissuer"
	"github.com/jitgate/jitgate/internal/rolelist"
	"github.com/jitgate/jitgate/internal/session"
)

func mint(t *testing.T, iss *devissuer.Issuer, claims map[string]any) string {
	t.Helper()
	raw, err := iss.MintClaims(claims, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	return raw
}

func TestAssumeRoleWithWebIdentityOK(t *testing.T) {
	e := newEnv(t, nil)
	tests := []struct {
		name       string
		claims     map[string]any
		duration   string
		wantGroups []string
		wantTTL    time.Duration
	}{
		{"groups list, default ttl", map[string]any{"sub": "agent-1", "aud": testAudience, "groups": []string{"agents", "ci"}, "email": "a@example.com"}, "", []string{"agents", "ci"}, time.Hour},
		{"several audiences, 30m", map[string]any{"sub": "agent-1", "aud": []string{"other", testAudience}, "groups": []string{"agents"}}, "1800", []string{"agents"}, 30 * time.Minute},
		// The token lives an hour (mint), so a 12-hour request gets an hour.
		{"no groups, max ttl capped by the token", map[string]any{"sub": "agent-1", "aud": testAudience}, "43200", nil, time.Hour},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			token := mint(t, e.trusted, tt.claims)
			before := time.Now().Truncate(time.Second)
			status, body := call(t, e.url, map[string]string{
				"RoleArn": testRole, "RoleSessionName": "run-42", "WebIdentityToken": token, "DurationSeconds": tt.duration,
			})
			if status != http.StatusOK {
				t.Fatalf("status %d: %s", status, body)
			}
			if strings.Contains(body, token) {
				t.Error("response echoes the web identity token")
			}
			r := decodeOK(t, body)
			c := r.Result.Credentials
			exp, err := time.Parse(expirationLayout, c.Expiration)
			if err != nil {
				t.Fatal(err)
			}
			if d := exp.Sub(before); d < tt.wantTTL-2*time.Second || d > tt.wantTTL+2*time.Second {
				t.Errorf("expires in %v, want %v", d, tt.wantTTL)
			}
			sess, err := e.sealer.Open(c.AccessKeyID, c.SessionToken, time.Now())
			if err != nil {
				t.Fatalf("session.Open: %v", err)
			}
			if sess.SecretAccessKey != c.SecretAccessKey || !sess.Expires.Equal(exp) {
				t.Error("sealed session differs from the credentials returned")
			}
			if sess.Principal.Subject != "agent-1" || sess.Principal.Issuer != e.trusted.URL() || !slices.Equal(sess.Principal.Groups, tt.wantGroups) {
				t.Errorf("principal = %+v", sess.Principal)
			}
			if want, _ := tt.claims["email"].(string); sess.Principal.Claims["email"] != want {
				t.Errorf("email claim = %q, want %q", sess.Principal.Claims["email"], want)
			}
			if sess.RoleARN != testRole || sess.SessionName != "run-42" {
				t.Errorf("role %q session %q", sess.RoleARN, sess.SessionName)
			}
			if r.Result.SubjectFromWebIdentityToken != "agent-1" || r.Result.Provider != e.trusted.URL() || r.Result.Audience != testAudience ||
				r.Result.AssumedRoleUser.Arn != "arn:aws:sts::123456789012:assumed-role/reader/run-42" ||
				!strings.HasSuffix(r.Result.AssumedRoleUser.AssumedRoleID, ":run-42") || r.ResponseMetadata.RequestID != "req-1" {
				t.Errorf("result = %+v", r.Result)
			}
		})
	}
}

func TestAssumeRoleWithWebIdentityErrors(t *testing.T) {
	e := newEnv(t, nil)
	past := time.Now().Add(-2 * time.Hour)
	good := func(extra map[string]any) map[string]any {
		c := map[string]any{"sub": "agent-1", "aud": testAudience}
		for k, v := range extra {
			c[k] = v
		}
		return c
	}
	valid := mint(t, e.trusted, good(nil))

	tests := []struct {
		name    string
		params  map[string]string
		status  int
		code    string
		message string // substring
	}{
		{"wrong audience", map[string]string{"WebIdentityToken": mint(t, e.trusted, good(map[string]any{"aud": "someone-else"}))}, 400, "InvalidIdentityToken", "audience"},
		{"untrusted issuer", map[string]string{"WebIdentityToken": mint(t, e.untrusted, good(nil))}, 400, "InvalidIdentityToken", e.untrusted.URL()},
		{"forged signature", map[string]string{"WebIdentityToken": mint(t, e.untrusted, good(map[string]any{"iss": e.trusted.URL()}))}, 400, "InvalidIdentityToken", "did not verify"},
		{"expired", map[string]string{"WebIdentityToken": mint(t, e.trusted, good(map[string]any{"exp": past, "iat": past, "nbf": past}))}, 400, "ExpiredTokenException", "expired"},
		{"garbage", map[string]string{"WebIdentityToken": "garbage-token"}, 400, "InvalidIdentityToken", "well-formed"},
		{"three garbage parts", map[string]string{"WebIdentityToken": "a.b.c"}, 400, "InvalidIdentityToken", "well-formed"},
		{"no sub", map[string]string{"WebIdentityToken": mint(t, e.trusted, good(map[string]any{"sub": nil}))}, 400, "InvalidIdentityToken", "sub"},
		{"groups not strings", map[string]string{"WebIdentityToken": mint(t, e.trusted, good(map[string]any{"groups": []any{"a", 7}}))}, 400, "InvalidIdentityToken", "groups"},
		{"groups a number", map[string]string{"WebIdentityToken": mint(t, e.trusted, good(map[string]any{"groups": 7}))}, 400, "InvalidIdentityToken", "groups"},
		{"groups a comma string", map[string]string{"WebIdentityToken": mint(t, e.trusted, good(map[string]any{"groups": "agents,admins"}))}, 400, "InvalidIdentityToken", "--oidc-groups-separator"},
		{"missing token", map[string]string{"WebIdentityToken": ""}, 400, "ValidationError", "WebIdentityToken"},
		{"missing role", map[string]string{"RoleArn": ""}, 400, "ValidationError", "RoleArn"},
		{"role not IAM", map[string]string{"RoleArn": "arn:aws:s3:::bucket-name-long"}, 400, "ValidationError", "RoleArn"},
		{"bad session name", map[string]string{"RoleSessionName": "has space"}, 400, "ValidationError", "RoleSessionName"},
		{"short duration", map[string]string{"DurationSeconds": "899"}, 400, "ValidationError", "DurationSeconds"},
		{"long duration", map[string]string{"DurationSeconds": "43201"}, 400, "ValidationError", "DurationSeconds"},
		{"huge duration", map[string]string{"DurationSeconds": "9223372036854775807"}, 400, "ValidationError", "DurationSeconds"},
		{"duration not a number", map[string]string{"DurationSeconds": "1h"}, 400, "ValidationError", "DurationSeconds"},
		{"session policy", map[string]string{"Policy": "{}"}, 400, "ValidationError", "session policies"},
		{"session policy arns", map[string]string{"PolicyArns.member.1.arn": "arn:aws:iam::aws:policy/ReadOnlyAccess"}, 400, "ValidationError", "session policies"},
		{"role of another group", map[string]string{"RoleArn": "arn:aws:iam::123456789012:role/admin"}, 403, "AccessDenied", "--allowed-roles"},
		{"role not listed", map[string]string{"RoleArn": "arn:aws:iam::999999999999:role/team/reader"}, 403, "AccessDenied", "--allowed-roles"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			params := map[string]string{"RoleArn": testRole, "RoleSessionName": "run-42", "WebIdentityToken": valid}
			for k, v := range tt.params {
				params[k] = v
			}
			status, body := call(t, e.url, params)
			r := decodeErr(t, body)
			if status != tt.status || r.Error.Code != tt.code || r.Error.Type != "Sender" || r.RequestID != "req-1" {
				t.Fatalf("status %d: %s\nwant %d %s", status, body, tt.status, tt.code)
			}
			if !strings.Contains(r.Error.Message, tt.message) {
				t.Errorf("message %q does not mention %q", r.Error.Message, tt.message)
			}
			if tok := params["WebIdentityToken"]; len(tok) > 20 && strings.Contains(body, tok) {
				t.Error("error echoes the web identity token")
			}
		})
	}
}

// TestErrorValues checks the Go error values callers branch on.
func TestErrorValues(t *testing.T) {
	e := newEnv(t, nil)
	past := time.Now().Add(-2 * time.Hour)
	token := mint(t, e.trusted, map[string]any{"sub": "a", "aud": testAudience, "exp": past, "iat": past, "nbf": past})
	_, err := e.svc.AssumeRoleWithWebIdentity(context.Background(), AssumeRoleInput{
		RoleARN: testRole, RoleSessionName: "run-42", WebIdentityToken: token,
	})
	var se *Error
	if !errors.As(err, &se) || !errors.Is(err, ErrExpiredToken) || se.HTTPStatus() != http.StatusBadRequest {
		t.Fatalf("error = %#v", err)
	}
	if strings.Contains(err.Error(), token) {
		t.Error("Error() contains the token")
	}
}

func TestLazyDiscovery(t *testing.T) {
	var ready atomic.Bool
	mux := http.NewServeMux()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !ready.Load() {
			http.Error(w, "starting", http.StatusServiceUnavailable)
			return
		}
		mux.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	iss, err := devissuer.New(srv.URL + "/oidc")
	if err != nil {
		t.Fatal(err)
	}
	mux.Handle("/oidc/", http.StripPrefix("/oidc", iss))

	sealer, err := session.NewSealer(session.GenerateKey())
	if err != nil {
		t.Fatal(err)
	}
	svc, err := New(context.Background(), Config{Issuers: []IssuerConfig{{URL: iss.URL(), Audience: testAudience}}, Sealer: sealer, AllowedRoles: rolelist.MustParse(testRoles)})
	if err != nil {
		t.Fatalf("New must not need the issuer: %v", err)
	}
	in := AssumeRoleInput{RoleARN: testRole, RoleSessionName: "run-42", WebIdentityToken: mint(t, iss, map[string]any{"sub": "a", "aud": testAudience})}

	if err := svc.Discover(context.Background()); !errors.Is(err, ErrIDPCommunication) {
		t.Fatalf("Discover before the issuer is up: %v", err)
	}
	if _, err := svc.AssumeRoleWithWebIdentity(context.Background(), in); !errors.Is(err, ErrIDPCommunication) {
		t.Fatalf("exchange before the issuer is up: %v", err)
	}
	ready.Store(true)
	if err := svc.Discover(context.Background()); err != nil {
		t.Fatalf("Discover after the issuer is up: %v", err)
	}
	if _, err := svc.AssumeRoleWithWebIdentity(context.Background(), in); err != nil {
		t.Fatalf("exchange after the issuer is up: %v", err)
	}
}

func TestIsAssumeRoleWithWebIdentity(t *testing.T) {
	tests := []struct {
		name, method, target string
		want                 bool
	}{
		{"GET query", http.MethodGet, "/?Action=AssumeRoleWithWebIdentity&Version=2011-06-15", true},
		{"POST query", http.MethodPost, "/?Action=AssumeRoleWithWebIdentity", true},
		{"other action", http.MethodGet, "/?Action=GetCallerIdentity", false},
		{"no action", http.MethodGet, "/", false},
		{"PUT", http.MethodPut, "/?Action=AssumeRoleWithWebIdentity", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := IsAssumeRoleWithWebIdentity(httptest.NewRequest(tt.method, tt.target, nil), nil); got != tt.want {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}
	// A form parsed by the caller (POST body) is what counts.
	r := httptest.NewRequest(http.MethodPost, "/", nil)
	if !IsAssumeRoleWithWebIdentity(r, map[string][]string{"Action": {ActionAssumeRoleWithWebIdentity}}) {
		t.Error("form Action not seen")
	}
}

func TestConfigValidate(t *testing.T) {
	sealer, err := session.NewSealer(session.GenerateKey())
	if err != nil {
		t.Fatal(err)
	}
	ok := IssuerConfig{URL: "https://issuer.example", Audience: "jitgate"}
	tests := []struct {
		name string
		cfg  Config
		ok   bool
	}{
		{"minimal", Config{Issuers: []IssuerConfig{ok}, Sealer: sealer}, true},
		{"no sealer", Config{Issuers: []IssuerConfig{ok}}, false},
		{"no issuers", Config{Sealer: sealer}, false},
		{"no audience", Config{Issuers: []IssuerConfig{{URL: ok.URL}}, Sealer: sealer}, false},
		{"relative url", Config{Issuers: []IssuerConfig{{URL: "/oidc", Audience: "a"}}, Sealer: sealer}, false},
		{"duplicate issuer", Config{Issuers: []IssuerConfig{ok, ok}, Sealer: sealer}, false},
		{"default ttl too short", Config{Issuers: []IssuerConfig{ok}, Sealer: sealer, DefaultTTL: time.Minute}, false},
		{"default over max", Config{Issuers: []IssuerConfig{ok}, Sealer: sealer, DefaultTTL: 2 * time.Hour, MaxTTL: time.Hour}, false},
		{"max over limit", Config{Issuers: []IssuerConfig{ok}, Sealer: sealer, MaxTTL: 13 * time.Hour}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.cfg.Validate()
			if (err == nil) != tt.ok || (err != nil && !errors.Is(err, ErrConfig)) {
				t.Fatalf("Validate = %v, want ok=%v", err, tt.ok)
			}
			if _, err := New(context.Background(), tt.cfg); (err == nil) != tt.ok {
				t.Fatalf("New = %v, want ok=%v", err, tt.ok)
			}
		})
	}
}

func TestGroupsClaim(t *testing.T) {
	tests := []struct {
		name    string
		in      any
		sep     string
		want    []string
		wantErr bool
	}{
		{"absent", nil, "", nil, false},
		{"list", []any{"a", "b"}, "", []string{"a", "b"}, false},
		{"list with a comma in a name stays one group", []any{"a,b"}, "", []string{"a,b"}, false},
		{"empty list", []any{}, "", []string{}, false},
		{"one string without a separator", "a", "", nil, true},
		{"comma string without a separator", "a,b", "", nil, true},
		{"comma string with separator comma", " a, b ,,c ", ",", []string{"a", "b", "c"}, false},
		{"one string with a separator", "a", ",", []string{"a"}, false},
		{"space separator", "a b  c", " ", []string{"a", "b", "c"}, false},
		{"other separator leaves commas alone", "x,y;z", ";", []string{"x,y", "z"}, false},
		{"list with a separator configured", []any{"a,b"}, ",", []string{"a,b"}, false},
		{"number", 7.0, "", nil, true},
		{"object", map[string]any{"a": "b"}, ",", nil, true},
		{"mixed list", []any{"a", true}, "", nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := groupsClaim(tt.in, tt.sep)
			if (err != nil) != tt.wantErr || !slices.Equal(got, tt.want) {
				t.Fatalf("groupsClaim(%v) = %v, %v", tt.in, got, err)
			}
		})
	}
}

func TestAssumedRole(t *testing.T) {
	tests := []struct {
		role, arn, account string
	}{
		{"arn:aws:iam::123456789012:role/reader", "arn:aws:sts::123456789012:assumed-role/reader/s1", "123456789012"},
		{"arn:aws:iam::123456789012:role/a/b/deep", "arn:aws:sts::123456789012:assumed-role/deep/s1", "123456789012"},
		{"arn:aws-cn:iam::210987654321:role/cn", "arn:aws-cn:sts::210987654321:assumed-role/cn/s1", "210987654321"},
		{"", "arn:aws:sts::000000000000:assumed-role/jitgate/s1", DefaultAccount},
		{"arn:aws:iam::12345:role/short-account", "arn:aws:sts::000000000000:assumed-role/jitgate/s1", DefaultAccount},
		{"arn:aws:iam::123456789012:user/bob", "arn:aws:sts::000000000000:assumed-role/jitgate/s1", DefaultAccount},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%q", tt.role), func(t *testing.T) {
			arn, id, account := assumedRole(tt.role, "s1")
			if arn != tt.arn || account != tt.account {
				t.Errorf("got %s %s, want %s %s", arn, account, tt.arn, tt.account)
			}
			if len(id) != 21+len(":s1") || !strings.HasPrefix(id, "JGRO") || !strings.HasSuffix(id, ":s1") {
				t.Errorf("assumed role id %q", id)
			}
			if again, id2, _ := assumedRole(tt.role, "s1"); again != arn || id2 != id {
				t.Error("not deterministic")
			}
		})
	}
}

func FuzzPeekClaims(f *testing.F) {
	f.Add("eyJhbGciOiJSUzI1NiJ9.eyJpc3MiOiJodHRwczovL2kiLCJhdWQiOlsiYSJdfQ.c2ln")
	f.Add("eyJhbGciOiJSUzI1NiJ9.eyJpc3MiOiJodHRwczovL2kiLCJhdWQiOiJhIn0.c2ln")
	f.Add("a.b.c")
	f.Add("")
	f.Fuzz(func(t *testing.T, raw string) {
		c, err := peekClaims(raw)
		if err == nil && c.Iss == "" {
			t.Fatal("accepted a token with no iss")
		}
	})
}
