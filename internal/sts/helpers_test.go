package sts

import (
	"context"
	"encoding/xml"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/jitgate/jitgate/internal/devissuer"
	"github.com/jitgate/jitgate/internal/rolelist"
	"github.com/jitgate/jitgate/internal/session"
)

const (
	testAudience = "jitgate"
	testRole     = "arn:aws:iam::123456789012:role/team/reader"
	// testRoles is the allow-list newEnv configures: the team's roles for
	// everyone, the admin role for group admins only.
	testRoles = "arn:aws:iam::123456789012:role/team/*, admins=arn:aws:iam::123456789012:role/admin"
)

// serveIssuer mounts a new devissuer under /oidc on a loopback server.
func serveIssuer(t *testing.T) *devissuer.Issuer {
	t.Helper()
	mux := http.NewServeMux()
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	iss, err := devissuer.New(srv.URL + "/oidc")
	if err != nil {
		t.Fatal(err)
	}
	mux.Handle("/oidc/", http.StripPrefix("/oidc", iss))
	return iss
}

// env is a trusted issuer, an untrusted one, and an STS endpoint.
type env struct {
	trusted, untrusted *devissuer.Issuer
	sealer             *session.Sealer
	svc                *Service
	url                string // STS endpoint
}

func newEnv(t *testing.T, mutate func(*Config)) *env {
	t.Helper()
	e := &env{trusted: serveIssuer(t), untrusted: serveIssuer(t)}
	var err error
	e.sealer, err = session.NewSealer(session.GenerateKey())
	if err != nil {
		t.Fatal(err)
	}
	cfg := Config{
		Issuers:      []IssuerConfig{{URL: e.trusted.URL(), Audience: testAudience, Claims: []string{"email"}}},
		Sealer:       e.sealer,
		AllowedRoles: rolelist.MustParse(testRoles),
	}
	if mutate != nil {
		mutate(&cfg)
	}
	e.svc, err = New(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	e.url = serveSTS(t, e.svc, nil)
	return e
}

// serveSTS serves svc the way the ingress does: AssumeRoleWithWebIdentity
// by the service, GetCallerIdentity for the session named by the request's
// security token when callerIdentity is set, anything else a 400.
func serveSTS(t *testing.T, svc *Service, sealer *session.Sealer) string {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := r.ParseForm(); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		switch {
		case IsAssumeRoleWithWebIdentity(r, r.Form):
			svc.ServeAssumeRoleWithWebIdentity(w, r, r.Form, "req-1")
		case sealer != nil && r.Form.Get("Action") == "GetCallerIdentity":
			akid := accessKeyFromAuth(r.Header.Get("Authorization"))
			sess, err := sealer.Open(akid, r.Header.Get("X-Amz-Security-Token"), time.Now())
			if err != nil {
				http.Error(w, err.Error(), http.StatusForbidden)
				return
			}
			WriteCallerIdentity(w, sess, "req-2")
		default:
			http.Error(w, "unexpected request", http.StatusBadRequest)
		}
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

// accessKeyFromAuth extracts the key id from "AWS4-HMAC-SHA256 Credential=AKID/...".
// Signatures are the ingress's business, not this package's.
func accessKeyFromAuth(h string) string {
	_, cred, ok := strings.Cut(h, "Credential=")
	if !ok {
		return ""
	}
	akid, _, _ := strings.Cut(cred, "/")
	return akid
}

// call posts an AssumeRoleWithWebIdentity form and decodes the answer.
func call(t *testing.T, endpoint string, params map[string]string) (int, string) {
	t.Helper()
	form := url.Values{"Action": {ActionAssumeRoleWithWebIdentity}, "Version": {"2011-06-15"}}
	for k, v := range params {
		form.Set(k, v)
	}
	resp, err := http.PostForm(endpoint, form)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, string(b)
}

func decodeOK(t *testing.T, body string) assumeRoleWithWebIdentityResponse {
	t.Helper()
	var r assumeRoleWithWebIdentityResponse
	if err := xml.Unmarshal([]byte(body), &r); err != nil {
		t.Fatalf("decode %s: %v", body, err)
	}
	return r
}

func decodeErr(t *testing.T, body string) errorResponse {
	t.Helper()
	var r errorResponse
	if err := xml.Unmarshal([]byte(body), &r); err != nil {
		t.Fatalf("decode %s: %v", body, err)
	}
	return r
}
