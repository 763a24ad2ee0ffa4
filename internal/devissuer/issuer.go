package devissuer

import (
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	jose "github.com/go-jose/go-jose/v4"
)

// Paths served by the handler, relative to its mount point.
const (
	DiscoveryPath = "/.well-known/openid-configuration"
	JWKSPath      = "/jwks"
)

// Issuer is a development OIDC issuer. It is safe for concurrent use.
type Issuer struct {
	url    string
	key    *rsa.PrivateKey
	kid    string
	signer jose.Signer
	now    func() time.Time
}

// Option configures New.
type Option func(*options)

type options struct {
	keyFile string
	now     func() time.Time
}

// WithKeyFile keeps the signing key in a PEM file at path: it is read if it
// exists, otherwise generated and written with mode 0600.
func WithKeyFile(path string) Option { return func(o *options) { o.keyFile = path } }

// WithClock sets the clock used for iat, nbf and exp. The default is time.Now.
func WithClock(now func() time.Time) Option { return func(o *options) { o.now = now } }

// New returns an issuer whose tokens carry iss = issuerURL. The handler must
// be reachable at that URL (mounted there directly or through
// http.StripPrefix). Without WithKeyFile a fresh RSA-2048 key is generated.
func New(issuerURL string, opts ...Option) (*Issuer, error) {
	u, err := url.Parse(issuerURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
		return nil, fmt.Errorf("%w: got %q", ErrIssuerURL, issuerURL)
	}
	o := options{now: time.Now}
	for _, opt := range opts {
		opt(&o)
	}
	var key *rsa.PrivateKey
	if o.keyFile != "" {
		key, err = loadOrCreateKey(o.keyFile)
	} else {
		key, err = rsa.GenerateKey(rand.Reader, keyBits)
	}
	if err != nil {
		return nil, err
	}
	thumb, err := (&jose.JSONWebKey{Key: &key.PublicKey}).Thumbprint(crypto.SHA256)
	if err != nil {
		return nil, fmt.Errorf("devissuer: key thumbprint: %w", err)
	}
	kid := base64.RawURLEncoding.EncodeToString(thumb)
	signer, err := jose.NewSigner(
		jose.SigningKey{Algorithm: jose.RS256, Key: jose.JSONWebKey{Key: key, KeyID: kid}},
		(&jose.SignerOptions{}).WithType("JWT"),
	)
	if err != nil {
		return nil, fmt.Errorf("devissuer: signer: %w", err)
	}
	return &Issuer{url: issuerURL, key: key, kid: kid, signer: signer, now: o.now}, nil
}

// URL returns the issuer URL, the iss of every token.
func (i *Issuer) URL() string { return i.url }

// KeyID returns the kid of the signing key (its RFC 7638 thumbprint), stable
// across restarts when the key is kept in a file.
func (i *Issuer) KeyID() string { return i.kid }

// ServeHTTP serves discovery and the JWKS. Paths are matched by suffix, so it
// works mounted at the issuer path itself or behind http.StripPrefix.
func (i *Issuer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	switch {
	case strings.HasSuffix(r.URL.Path, DiscoveryPath):
		writeJSON(w, i.discovery())
	case strings.HasSuffix(r.URL.Path, JWKSPath):
		writeJSON(w, jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{
			Key: &i.key.PublicKey, KeyID: i.kid, Algorithm: string(jose.RS256), Use: "sig",
		}}})
	default:
		http.NotFound(w, r)
	}
}

type discoveryDoc struct {
	Issuer          string   `json:"issuer"`
	JWKSURI         string   `json:"jwks_uri"`
	ResponseTypes   []string `json:"response_types_supported"`
	SubjectTypes    []string `json:"subject_types_supported"`
	SigningAlgs     []string `json:"id_token_signing_alg_values_supported"`
	ClaimsSupported []string `json:"claims_supported"`
	ScopesSupported []string `json:"scopes_supported"`
}

func (i *Issuer) discovery() discoveryDoc {
	return discoveryDoc{
		Issuer:          i.url,
		JWKSURI:         strings.TrimSuffix(i.url, "/") + JWKSPath,
		ResponseTypes:   []string{"id_token"},
		SubjectTypes:    []string{"public"},
		SigningAlgs:     []string{string(jose.RS256)},
		ClaimsSupported: []string{"iss", "sub", "aud", "exp", "iat", "nbf", "groups"},
		ScopesSupported: []string{"openid"},
	}
}

func writeJSON(w http.ResponseWriter, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		http.Error(w, "encode: "+err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "public, max-age=60")
	w.Write(b)
}
