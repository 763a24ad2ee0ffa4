package sigv4

import (
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Algorithm is the only signing algorithm Verify accepts.
const Algorithm = "AWS4-HMAC-SHA256"

const (
	amzDateFormat  = "20060102T150405Z"
	scopeDateForm  = "20060102"
	scopeTerminal  = "aws4_request"
	maxPresignLife = 7 * 24 * time.Hour
)

// Authorization is the parsed form of an Authorization header or of the
// presign query parameters.
type Authorization struct {
	// AccessKeyID, Date (YYYYMMDD), Region and Service make up the credential
	// scope: AccessKeyID/Date/Region/Service/aws4_request.
	AccessKeyID string
	Date        string
	Region      string
	Service     string
	// SignedHeaders are the lowercase header names as signed, in order.
	SignedHeaders []string
	// Signature is the lowercase hex signature.
	Signature string
}

// scope returns Date/Region/Service/aws4_request.
func (a *Authorization) scope() string {
	return a.Date + "/" + a.Region + "/" + a.Service + "/" + scopeTerminal
}

// ParseAuthorization parses an Authorization header value of the form
//
//	AWS4-HMAC-SHA256 Credential=AKID/20261126/us-east-1/s3/aws4_request, SignedHeaders=host;x-amz-date, Signature=hex
//
// leniently: the fields may be separated by commas, spaces or both, in any
// order. Each field must appear exactly once. Errors wrap ErrMalformedAuth.
func ParseAuthorization(v string) (*Authorization, error) {
	v = strings.TrimSpace(v)
	alg, rest, _ := strings.Cut(v, " ")
	if alg != Algorithm {
		if alg == "AWS" {
			return nil, fmt.Errorf("%w (%w): sign with SigV4 (AWS4-HMAC-SHA256); boto3: Config(signature_version='s3v4')", ErrSigV2, ErrUnsupportedAlgorithm)
		}
		if alg == "" {
			return nil, fmt.Errorf("%w: empty Authorization header", ErrMalformedAuth)
		}
		return nil, fmt.Errorf("%w: %q", ErrUnsupportedAlgorithm, truncate(alg, 32))
	}
	var credential, signedHeaders, signature string
	var seen [3]bool
	for field := range strings.FieldsFuncSeq(rest, func(r rune) bool { return r == ',' || r == ' ' || r == '\t' }) {
		name, value, ok := strings.Cut(field, "=")
		if !ok {
			return nil, fmt.Errorf("%w: field without '=' in Authorization", ErrMalformedAuth)
		}
		var slot *string
		var i int
		switch name {
		case "Credential":
			slot, i = &credential, 0
		case "SignedHeaders":
			slot, i = &signedHeaders, 1
		case "Signature":
			slot, i = &signature, 2
		default:
			return nil, fmt.Errorf("%w: unknown Authorization field %q", ErrMalformedAuth, truncate(name, 32))
		}
		if seen[i] {
			return nil, fmt.Errorf("%w: duplicate Authorization field %s", ErrMalformedAuth, name)
		}
		seen[i] = true
		*slot = value
	}
	for i, name := range []string{"Credential", "SignedHeaders", "Signature"} {
		if !seen[i] {
			return nil, fmt.Errorf("%w: Authorization lacks %s", ErrMalformedAuth, name)
		}
	}
	return newAuthorization(credential, signedHeaders, signature)
}

// presignParams are the query parameters of a presigned request.
type presignParams struct {
	auth    *Authorization
	date    string        // X-Amz-Date
	expires time.Duration // X-Amz-Expires
	token   string        // X-Amz-Security-Token
}

// parsePresign reads the presign parameters from an already split query.
func parsePresign(q url.Values) (*presignParams, error) {
	get := func(name string, required bool) (string, error) {
		vs := q[name]
		switch {
		case len(vs) > 1:
			return "", fmt.Errorf("%w: duplicate query parameter %s", ErrMalformedAuth, name)
		case len(vs) == 0 && required:
			return "", fmt.Errorf("%w: presigned request lacks %s", ErrMalformedAuth, name)
		case len(vs) == 0:
			return "", nil
		}
		return vs[0], nil
	}
	var vals [7]string
	names := [7]string{"X-Amz-Algorithm", "X-Amz-Credential", "X-Amz-Date", "X-Amz-Expires", "X-Amz-SignedHeaders", "X-Amz-Signature", "X-Amz-Security-Token"}
	for i, name := range names {
		v, err := get(name, i < 6)
		if err != nil {
			return nil, err
		}
		vals[i] = v
	}
	if vals[0] != Algorithm {
		return nil, fmt.Errorf("%w: %q", ErrUnsupportedAlgorithm, truncate(vals[0], 32))
	}
	auth, err := newAuthorization(vals[1], vals[4], vals[5])
	if err != nil {
		return nil, err
	}
	secs, err := strconv.ParseInt(vals[3], 10, 64)
	if err != nil || secs <= 0 {
		return nil, fmt.Errorf("%w: X-Amz-Expires must be a positive number of seconds", ErrMalformedAuth)
	}
	if secs > int64(maxPresignLife/time.Second) {
		return nil, fmt.Errorf("%w: X-Amz-Expires must be at most 604800 seconds (7 days)", ErrMalformedAuth)
	}
	return &presignParams{auth: auth, date: vals[2], expires: time.Duration(secs) * time.Second, token: vals[6]}, nil
}

// newAuthorization validates the three parts common to both forms.
func newAuthorization(credential, signedHeaders, signature string) (*Authorization, error) {
	parts := strings.Split(credential, "/")
	if len(parts) != 5 || parts[4] != scopeTerminal {
		return nil, fmt.Errorf("%w: credential must be AKID/YYYYMMDD/region/service/aws4_request", ErrMalformedAuth)
	}
	for _, p := range parts {
		if p == "" {
			return nil, fmt.Errorf("%w: empty credential scope element", ErrMalformedAuth)
		}
	}
	if _, err := time.Parse(scopeDateForm, parts[1]); err != nil {
		return nil, fmt.Errorf("%w: credential scope date %q is not YYYYMMDD", ErrMalformedAuth, truncate(parts[1], 16))
	}
	if len(signature) != 64 || !isHex(signature) {
		return nil, fmt.Errorf("%w: signature must be 64 hex digits", ErrMalformedAuth)
	}
	headers := strings.Split(signedHeaders, ";")
	hasHost := false
	for i, h := range headers {
		if h == "" || h != strings.ToLower(h) || !isToken(h) {
			return nil, fmt.Errorf("%w: SignedHeaders must be lowercase header names separated by ';'", ErrMalformedAuth)
		}
		if i > 0 && headers[i-1] >= h {
			return nil, fmt.Errorf("%w: SignedHeaders must be sorted and unique", ErrMalformedAuth)
		}
		hasHost = hasHost || h == "host"
	}
	if !hasHost {
		return nil, fmt.Errorf("%w: host must be a signed header", ErrMalformedAuth)
	}
	return &Authorization{
		AccessKeyID:   parts[0],
		Date:          parts[1],
		Region:        parts[2],
		Service:       parts[3],
		SignedHeaders: headers,
		Signature:     strings.ToLower(signature),
	}, nil
}

func isHex(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F') {
			return false
		}
	}
	return true
}

// isToken reports whether s is an HTTP token (a valid header name).
func isToken(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c <= ' ' || c >= 0x7f || strings.IndexByte("\"(),/:;<=>?@[\\]{}", c) >= 0 {
			return false
		}
	}
	return true
}

// truncate shortens attacker-controlled text before it goes into an error.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
