package devissuer

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
)

// serve mounts a new Issuer at mount on a loopback server, the way the
// ingress does, and returns it. mount "" serves it at the root.
func serve(t *testing.T, mount string, strip bool, opts ...Option) *Issuer {
	t.Helper()
	mux := http.NewServeMux()
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	iss, err := New(srv.URL+mount, opts...)
	if err != nil {
		t.Fatal(err)
	}
	var h http.Handler = iss
	if strip {
		h = http.StripPrefix(mount, iss)
	}
	mux.Handle(mount+"/", h)
	return iss
}

func verifier(t *testing.T, issuerURL, audience string) *oidc.IDTokenVerifier {
	t.Helper()
	p, err := oidc.NewProvider(context.Background(), issuerURL)
	if err != nil {
		t.Fatalf("discovery of %s: %v", issuerURL, err)
	}
	return p.Verifier(&oidc.Config{ClientID: audience})
}

func TestDiscoveryAndVerify(t *testing.T) {
	tests := []struct {
		name  string
		mount string
		strip bool
	}{
		{"strip prefix", "/oidc", true},
		{"mounted without strip", "/oidc", false},
		{"nested prefix", "/dev/oidc", true},
		{"root", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			iss := serve(t, tt.mount, tt.strip)
			v := verifier(t, iss.URL(), "jitgate")
			raw, err := iss.Mint("agent-1", []string{"agents", "ci"}, "jitgate", time.Hour)
			if err != nil {
				t.Fatal(err)
			}
			tok, err := v.Verify(context.Background(), raw)
			if err != nil {
				t.Fatal(err)
			}
			var c struct {
				Groups []string `json:"groups"`
				NBF    int64    `json:"nbf"`
			}
			if err := tok.Claims(&c); err != nil {
				t.Fatal(err)
			}
			if tok.Subject != "agent-1" || tok.Issuer != iss.URL() || !slices.Equal(c.Groups, []string{"agents", "ci"}) || c.NBF == 0 {
				t.Errorf("claims: sub=%q iss=%q groups=%v nbf=%d", tok.Subject, tok.Issuer, c.Groups, c.NBF)
			}
			if d := time.Until(tok.Expiry); d < 59*time.Minute || d > time.Hour+time.Minute {
				t.Errorf("expiry in %v, want about 1h", d)
			}
		})
	}
}

func TestVerifierRejects(t *testing.T) {
	iss := serve(t, "/oidc", true)
	other := serve(t, "/oidc", true)
	v := verifier(t, iss.URL(), "jitgate")
	past := time.Now().Add(-2 * time.Hour)

	mint := func(i *Issuer, claims map[string]any) string {
		t.Helper()
		raw, err := i.MintClaims(claims, time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		return raw
	}
	tests := []struct {
		name    string
		raw     string
		expired bool
	}{
		{"wrong audience", mint(iss, map[string]any{"sub": "a", "aud": "someone-else"}), false},
		{"wrong issuer claim", mint(iss, map[string]any{"sub": "a", "aud": "jitgate", "iss": other.URL()}), false},
		{"signed by another issuer", mint(other, map[string]any{"sub": "a", "aud": "jitgate", "iss": iss.URL()}), false},
		{"expired", mint(iss, map[string]any{"sub": "a", "aud": "jitgate", "exp": past, "iat": past, "nbf": past}), true},
		{"garbage", "not.a.jwt", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := v.Verify(context.Background(), tt.raw)
			if err == nil {
				t.Fatal("token verified")
			}
			var exp *oidc.TokenExpiredError
			if errors.As(err, &exp) != tt.expired {
				t.Errorf("error %v: expired = %v, want %v", err, !tt.expired, tt.expired)
			}
		})
	}
}

func TestServeHTTP(t *testing.T) {
	iss, err := New("http://127.0.0.1:1/oidc")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, method, path string
		status             int
		body               string
	}{
		{"discovery", http.MethodGet, "/.well-known/openid-configuration", 200, `"jwks_uri":"http://127.0.0.1:1/oidc/jwks"`},
		{"jwks", http.MethodGet, "/jwks", 200, `"kid":"` + iss.KeyID() + `"`},
		{"unknown", http.MethodGet, "/token", 404, ""},
		{"post", http.MethodPost, "/jwks", 405, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := httptest.NewRecorder()
			iss.ServeHTTP(rec, httptest.NewRequest(tt.method, tt.path, nil))
			if rec.Code != tt.status || !strings.Contains(rec.Body.String(), tt.body) {
				t.Fatalf("%d %s", rec.Code, rec.Body)
			}
			if strings.Contains(rec.Body.String(), `"d":`) {
				t.Fatal("private key exponent served")
			}
		})
	}
}

func TestNewRejectsBadURL(t *testing.T) {
	for _, u := range []string{"", "127.0.0.1:8080", "ftp://host/x", "http:///oidc", "http://h/oidc?x=1", "http://h/#f"} {
		if _, err := New(u); !errors.Is(err, ErrIssuerURL) {
			t.Errorf("New(%q) error = %v, want ErrIssuerURL", u, err)
		}
	}
}

func TestKeyFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "issuer.pem")

	first, err := New("http://127.0.0.1:1/oidc", WithKeyFile(path))
	if err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("key file mode %v, want 0600", fi.Mode().Perm())
	}
	again, err := New("http://127.0.0.1:1/oidc", WithKeyFile(path))
	if err != nil {
		t.Fatal(err)
	}
	if again.KeyID() != first.KeyID() {
		t.Errorf("restart changed the key: %s then %s", first.KeyID(), again.KeyID())
	}
	fresh, err := New("http://127.0.0.1:1/oidc")
	if err != nil {
		t.Fatal(err)
	}
	if fresh.KeyID() == first.KeyID() {
		t.Error("a generated key repeated")
	}

	bad := filepath.Join(dir, "bad.pem")
	if err := os.WriteFile(bad, []byte("not pem"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := New("http://127.0.0.1:1/oidc", WithKeyFile(bad)); !errors.Is(err, ErrKeyFile) {
		t.Errorf("bad key file: error = %v, want ErrKeyFile", err)
	}
}

func TestWithClock(t *testing.T) {
	past := time.Now().Add(-3 * time.Hour)
	iss := serve(t, "/oidc", true, WithClock(func() time.Time { return past }))
	raw, err := iss.Mint("a", nil, "jitgate", time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	_, err = verifier(t, iss.URL(), "jitgate").Verify(context.Background(), raw)
	var exp *oidc.TokenExpiredError
	if !errors.As(err, &exp) {
		t.Fatalf("token minted 3h ago for 1h: error = %v, want expired", err)
	}
}
