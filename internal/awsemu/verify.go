package awsemu

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
)

const (
	algorithm     = "AWS4-HMAC-SHA256"
	amzDateFormat = "20060102T150405Z"
	maxSkew       = 15 * time.Minute
	unsignedHash  = "UNSIGNED-PAYLOAD"
)

// authorization is a parsed SigV4 Authorization header.
type authorization struct {
	AccessKeyID   string
	Date          string // yyyymmdd from the scope
	Region        string
	SigningName   string
	SignedHeaders []string // lowercase, as listed
	Signature     []byte
}

// parseAuthorization reads "AWS4-HMAC-SHA256 Credential=AKID/date/region/
// service/aws4_request, SignedHeaders=a;b, Signature=hex" leniently: the
// separators between the three parts may be commas, spaces or both.
func parseAuthorization(v string) (authorization, error) {
	var a authorization
	rest, ok := strings.CutPrefix(strings.TrimSpace(v), algorithm)
	if !ok || rest == "" || (rest[0] != ' ' && rest[0] != '\t') {
		return a, fmt.Errorf("%w: algorithm is not %s", ErrMalformedAuth, algorithm)
	}
	fields := strings.FieldsFunc(rest, func(r rune) bool { return r == ',' || r == ' ' || r == '\t' })
	var cred, signed, sig string
	for _, f := range fields {
		k, val, ok := strings.Cut(f, "=")
		if !ok {
			return a, fmt.Errorf("%w: part %q has no '='", ErrMalformedAuth, k)
		}
		switch k {
		case "Credential":
			cred = val
		case "SignedHeaders":
			signed = val
		case "Signature":
			sig = val
		default:
			return a, fmt.Errorf("%w: unknown part %q", ErrMalformedAuth, k)
		}
	}
	scope := strings.Split(cred, "/")
	if len(scope) != 5 || scope[4] != "aws4_request" || slices.Contains(scope, "") {
		return a, fmt.Errorf("%w: credential scope is not AKID/date/region/service/aws4_request", ErrMalformedAuth)
	}
	if signed == "" {
		return a, fmt.Errorf("%w: no SignedHeaders", ErrMalformedAuth)
	}
	raw, err := hex.DecodeString(sig)
	if err != nil || len(raw) != sha256.Size {
		return a, fmt.Errorf("%w: signature is not 64 hex digits", ErrMalformedAuth)
	}
	a = authorization{
		AccessKeyID:   scope[0],
		Date:          scope[1],
		Region:        scope[2],
		SigningName:   scope[3],
		SignedHeaders: strings.Split(signed, ";"),
		Signature:     raw,
	}
	return a, nil
}

// verify checks r's header signature against creds. body is r's full body.
// It rebuilds a copy of r that carries only the signed headers, signs the
// copy with the SDK's signer at the request's own X-Amz-Date, and compares.
func verify(r *http.Request, body []byte, creds aws.Credentials, now time.Time) (authorization, error) {
	if r.URL.Query().Has("X-Amz-Signature") || r.URL.Query().Has("X-Amz-Credential") {
		return authorization{}, ErrPresigned
	}
	h := r.Header.Get("Authorization")
	if h == "" {
		return authorization{}, ErrUnsigned
	}
	a, err := parseAuthorization(h)
	if err != nil {
		return a, err
	}
	if a.AccessKeyID != creds.AccessKeyID {
		return a, ErrUnknownKey
	}
	if tok := r.Header.Get("X-Amz-Security-Token"); tok != creds.SessionToken {
		return a, ErrBadToken
	}
	at, err := time.Parse(amzDateFormat, r.Header.Get("X-Amz-Date"))
	if err != nil {
		return a, fmt.Errorf("%w: X-Amz-Date is missing or not %s", ErrMalformedAuth, amzDateFormat)
	}
	if d := now.Sub(at); d > maxSkew || d < -maxSkew {
		return a, ErrSkew
	}
	if at.Format("20060102") != a.Date {
		return a, fmt.Errorf("%w: scope date differs from X-Amz-Date", ErrSignature)
	}
	hash, err := payloadHash(r.Header.Get("X-Amz-Content-Sha256"), body)
	if err != nil {
		return a, err
	}
	want, err := resign(r, a, hash, creds, at)
	if err != nil {
		return a, err
	}
	if !hmac.Equal(want, a.Signature) {
		return a, ErrSignature
	}
	return a, nil
}

// payloadHash returns the hash to sign: the declared one when it is
// UNSIGNED-PAYLOAD or matches the body, else the body's own hash.
func payloadHash(declared string, body []byte) (string, error) {
	sum := sha256.Sum256(body)
	actual := hex.EncodeToString(sum[:])
	switch {
	case declared == "":
		return actual, nil
	case declared == unsignedHash:
		return declared, nil
	case strings.EqualFold(declared, actual):
		return declared, nil
	default:
		// STREAMING-* payloads are refused here too: the gateway decodes
		// aws-chunked bodies before forwarding them.
		return "", ErrPayloadHash
	}
}

// resign signs a copy of r that carries only a's signed headers and returns
// the signature.
func resign(r *http.Request, a authorization, hash string, creds aws.Credentials, at time.Time) ([]byte, error) {
	u := *r.URL
	u.Scheme, u.Host = "http", r.Host
	cp, err := http.NewRequestWithContext(context.Background(), r.Method, u.String(), http.NoBody)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrMalformedAuth, err)
	}
	cp.URL = &u
	cp.Host = r.Host
	for _, name := range a.SignedHeaders {
		switch name {
		case "host":
			// cp.Host carries it, port included.
		case "content-length":
			cp.ContentLength = r.ContentLength
		default:
			if vs, ok := r.Header[http.CanonicalHeaderKey(name)]; ok {
				cp.Header[http.CanonicalHeaderKey(name)] = slices.Clone(vs)
			}
		}
	}
	s3 := strings.HasPrefix(a.SigningName, "s3")
	signer := v4.NewSigner(func(o *v4.SignerOptions) { o.DisableURIPathEscaping = s3 })
	if err := signer.SignHTTP(context.Background(), creds, cp, hash, a.SigningName, a.Region, at); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrSignature, err)
	}
	got, err := parseAuthorization(cp.Header.Get("Authorization"))
	if err != nil {
		return nil, err
	}
	if !slices.Equal(got.SignedHeaders, a.SignedHeaders) {
		return nil, fmt.Errorf("%w: signed headers %s, expected %s", ErrSignature,
			strings.Join(a.SignedHeaders, ";"), strings.Join(got.SignedHeaders, ";"))
	}
	return got.Signature, nil
}
