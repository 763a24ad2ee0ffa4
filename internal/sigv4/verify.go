package sigv4

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"time"
)

// MaxSkew is how far X-Amz-Date may be from now for header-signed requests
// (and how far in the future a presigned request may be dated).
const MaxSkew = 15 * time.Minute

// Lookup returns the secret access key for an access key id and the session
// token the client sent (X-Amz-Security-Token header or query; "" when none
// was sent). It must return an error when the credentials are unknown or
// expired, or when the token is not the one issued with the key: Verify only
// guarantees that the token it passes was covered by the signature. Verify
// wraps the returned error (after ErrUnknownCredentials), so it must not
// carry the token or any secret.
type Lookup func(accessKeyID, sessionToken string) (secretAccessKey string, err error)

// Result describes a request whose signature verified.
type Result struct {
	AccessKeyID  string
	SessionToken string
	// Region and SigningName come from the credential scope; SigningName is
	// lowercased (e.g. "s3", "dynamodb", "sts").
	Region      string
	SigningName string
	// SignedHeaders are the lowercase header names as signed.
	SignedHeaders []string
	// Signature is the verified request signature (lowercase hex). It is a
	// bearer secret until it expires: keep it out of logs and events (hash
	// it, as replay detection does).
	Signature string
	Presigned bool
	SignedAt  time.Time
	// Expires is the end of a presigned request's validity (zero otherwise).
	Expires time.Time
	// Payload is the decoded payload: the body itself (sharing its memory),
	// except aws-chunked bodies, which are decoded into a new slice. Nil
	// after VerifyHeaders: the payload streams through Pending.Payload.
	Payload []byte
	// PayloadHash is the last line of the canonical request: what
	// X-Amz-Content-Sha256 said (hex, UNSIGNED-PAYLOAD, STREAMING-...), or the
	// body's hash when that header was absent.
	PayloadHash string
	// Trailers are an aws-chunked body's trailing headers (e.g.
	// X-Amz-Checksum-Crc32), without the trailer signature; nil otherwise.
	Trailers http.Header
}

// Verify checks the SigV4 signature of r, whose full body has already been
// read into body (r.Body is not touched). now is used for the clock-skew and
// presign-expiry checks. r is a server-side request: Host, RequestURI and the
// header map as net/http's server fills them.
func Verify(r *http.Request, body []byte, lookup Lookup, now time.Time) (*Result, error) {
	p, err := begin(r, lookup, now, func() (string, error) { return hexSHA256(body), nil })
	if err != nil {
		return nil, err
	}
	return p.finish(body)
}

// Pending is a request whose signature verified over everything but its
// body: the method, path, query, signed headers, credentials and time, and
// the payload hash (or mode) the signature covers. The body is checked as
// it streams through Payload.
type Pending struct {
	r   *http.Request
	res *Result
	s   *signer // nil for presigned requests (no chunk signatures)
	// bodyHashed: the payload hash was computed from the body itself
	// (Verify with no declared hash), so there is nothing to compare.
	bodyHashed bool
	chunked    *chunkReader // set by Payload for aws-chunked bodies
}

// VerifyHeaders checks the SigV4 signature of r without reading its body:
// everything Verify checks except the body against the signed payload
// hash, which Payload checks as the body streams. It needs the payload
// hash declared in X-Amz-Content-Sha256 (or a presigned URL's query, or
// UNSIGNED-PAYLOAD, which S3 presigns); a request that leaves it out signs
// the SHA-256 of a body nobody has read yet, and fails with
// ErrPayloadHashNotDeclared: read that (small) body and call Verify.
func VerifyHeaders(r *http.Request, lookup Lookup, now time.Time) (*Pending, error) {
	return begin(r, lookup, now, func() (string, error) { return "", ErrPayloadHashNotDeclared })
}

// Result describes the verified request. Payload is nil until the body has
// been read: Verify sets it; after streaming, Trailers are set once Payload's
// reader has returned io.EOF.
func (p *Pending) Result() *Result {
	if p.chunked != nil && errors.Is(p.chunked.err, io.EOF) {
		p.res.Trailers = p.chunked.header()
	}
	return p.res
}

// Payload returns a reader of the decoded payload of body (r.Body, or what
// is left of it): the body itself, or its aws-chunked framing decoded. Its
// bytes are UNVERIFIED until it returns io.EOF: a body whose SHA-256 is not
// the signed one, a chunk or trailer signature that does not match, a
// malformed frame, a wrong trailing checksum or decoded length ends the
// stream with an error instead (wrapping the sentinels Verify returns).
// Act on nothing read from it before io.EOF.
func (p *Pending) Payload(body io.Reader) io.Reader {
	return p.payloadReader(body)
}

// AWSChunked reports whether the body is aws-chunked (a STREAMING-* mode),
// so that its wire length says nothing about the decoded length.
func (p *Pending) AWSChunked() bool { return isAWSChunked(p.res.PayloadHash) }

// begin verifies everything but the body. undeclared supplies the payload
// hash when the request does not declare it.
func begin(r *http.Request, lookup Lookup, now time.Time, undeclared func() (string, error)) (*Pending, error) {
	f, err := readForm(r)
	if err != nil {
		return nil, err
	}
	if f.presigned {
		return verifyPresigned(r, undeclared, f.pairs, f.query, lookup, now)
	}
	return verifyHeader(r, undeclared, f.pairs, f.query, f.authz, lookup, now)
}

// verifyHeader verifies the Authorization header form.
func verifyHeader(r *http.Request, undeclared func() (string, error), pairs []queryPair, q map[string][]string, authz string, lookup Lookup, now time.Time) (*Pending, error) {
	a, err := ParseAuthorization(authz)
	if err != nil {
		return nil, err
	}
	signedAt, err := headerTime(r)
	if err != nil {
		return nil, err
	}
	if d := now.Sub(signedAt); d > MaxSkew || d < -MaxSkew {
		return nil, fmt.Errorf("%w: signed at %s, now %s", ErrTimeSkewed, signedAt.Format(time.RFC3339), now.UTC().Format(time.RFC3339))
	}
	token, err := singleHeader(r, "X-Amz-Security-Token")
	if err != nil {
		return nil, err
	}
	if token != "" && !slices.Contains(a.SignedHeaders, "x-amz-security-token") {
		return nil, ErrSecurityTokenNotSigned
	}
	if token == "" {
		if token, err = singleQuery(q, "X-Amz-Security-Token"); err != nil {
			return nil, err
		}
	}
	hash, err := singleHeader(r, "X-Amz-Content-Sha256")
	if err != nil {
		return nil, err
	}
	hashed := hash == ""
	if hashed {
		if hash, err = undeclared(); err != nil {
			return nil, err
		}
	}
	s, err := check(r, a, signedAt, token, pairs, "", hash, lookup)
	if err != nil {
		return nil, err
	}
	if err := signedInput(r, a, hash); err != nil {
		return nil, err
	}
	if err := payloadMode(hash, s); err != nil {
		return nil, err
	}
	return &Pending{r: r, s: s, bodyHashed: hashed, res: result(a, token, signedAt, time.Time{}, hash)}, nil
}

// verifyPresigned verifies the presigned (query) form.
func verifyPresigned(r *http.Request, undeclared func() (string, error), pairs []queryPair, q map[string][]string, lookup Lookup, now time.Time) (*Pending, error) {
	p, err := parsePresign(q)
	if err != nil {
		return nil, err
	}
	a := p.auth
	signedAt, err := time.Parse(amzDateFormat, p.date)
	if err != nil {
		return nil, fmt.Errorf("%w: X-Amz-Date must be YYYYMMDDTHHMMSSZ", ErrMalformedAuth)
	}
	expires := signedAt.Add(p.expires)
	if signedAt.Sub(now) > MaxSkew {
		return nil, fmt.Errorf("%w: presigned request is dated %s, in the future", ErrTimeSkewed, signedAt.Format(time.RFC3339))
	}
	if now.After(expires) {
		return nil, fmt.Errorf("%w: it expired at %s", ErrPresignExpired, expires.Format(time.RFC3339))
	}
	token := p.token
	headerToken, err := singleHeader(r, "X-Amz-Security-Token")
	if err != nil {
		return nil, err
	}
	switch {
	case headerToken == "":
	case !slices.Contains(a.SignedHeaders, "x-amz-security-token"):
		return nil, ErrSecurityTokenNotSigned
	case token != "" && token != headerToken:
		return nil, fmt.Errorf("%w: different security tokens in the query and the header", ErrMalformedAuth)
	default:
		token = headerToken
	}
	hash, err := singleHeader(r, "X-Amz-Content-Sha256")
	if err != nil {
		return nil, err
	}
	if hash == "" {
		hash, err = singleQuery(q, "X-Amz-Content-Sha256")
		if err != nil {
			return nil, err
		}
	}
	hashed := false
	if hash == "" {
		// S3 presigns with UNSIGNED-PAYLOAD; botocore and the Go SDK presign
		// every other service with the hash of the (usually empty) body.
		hash = UnsignedPayload
		if !singleEncodedPath(a.Service) {
			if hash, err = undeclared(); err != nil {
				return nil, err
			}
			hashed = true
		}
	}
	if _, err := check(r, a, signedAt, token, pairs, "X-Amz-Signature", hash, lookup); err != nil {
		return nil, err
	}
	if err := signedInput(r, a, hash); err != nil {
		return nil, err
	}
	if err := payloadMode(hash, nil); err != nil {
		return nil, err
	}
	res := result(a, token, signedAt, expires, hash)
	res.Presigned = true
	return &Pending{r: r, bodyHashed: hashed, res: res}, nil
}

// signedInput refuses a correctly signed request whose signature does not
// cover what AWS would act on: unsigned x-amz-* headers, or a body left
// unsigned for a service other than S3. It runs after the signature
// matched, so only authenticated callers reach these refusals.
func signedInput(r *http.Request, a *Authorization, hash string) error {
	if err := checkHeadersSigned(r, a.SignedHeaders); err != nil {
		return err
	}
	return payloadModeAllowed(hash, a.Service)
}

// check looks the credentials up and compares the request signature; it
// returns the signer for chunk signatures.
func check(r *http.Request, a *Authorization, signedAt time.Time, token string, pairs []queryPair, skip, hash string, lookup Lookup) (*signer, error) {
	amzDate := signedAt.UTC().Format(amzDateFormat)
	if a.Date != amzDate[:8] {
		return nil, fmt.Errorf("%w: credential scope date %s is not the request date %s", ErrMalformedAuth, a.Date, amzDate[:8])
	}
	secret, err := lookup(a.AccessKeyID, token)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrUnknownCredentials, err)
	}
	s := newSigner(secret, amzDate, a)
	query := canonicalQuery(pairs, skip)
	headers := canonicalHeaders(r, a.SignedHeaders)
	for _, uri := range canonicalURIs(rawPath(r), a.Service) {
		cr := canonicalRequest(r.Method, uri, query, headers, a.SignedHeaders, hash)
		if equalSignature(a.Signature, s.requestSignature(cr)) {
			return s, nil
		}
	}
	return nil, ErrSignatureMismatch
}

func result(a *Authorization, token string, signedAt, expires time.Time, hash string) *Result {
	return &Result{
		AccessKeyID:   a.AccessKeyID,
		SessionToken:  token,
		Region:        a.Region,
		SigningName:   strings.ToLower(a.Service),
		SignedHeaders: a.SignedHeaders,
		Signature:     a.Signature,
		SignedAt:      signedAt,
		Expires:       expires,
		PayloadHash:   hash,
	}
}

// headerTime reads the signing time from X-Amz-Date or, when that header is
// absent, from Date (botocore signs with Date when the caller set one).
func headerTime(r *http.Request) (time.Time, error) {
	v, err := singleHeader(r, "X-Amz-Date")
	if err != nil {
		return time.Time{}, err
	}
	if v != "" {
		t, err := time.Parse(amzDateFormat, v)
		if err != nil {
			return time.Time{}, fmt.Errorf("%w: X-Amz-Date must be YYYYMMDDTHHMMSSZ", ErrMalformedAuth)
		}
		return t, nil
	}
	v, err = singleHeader(r, "Date")
	if err != nil {
		return time.Time{}, err
	}
	if v == "" {
		return time.Time{}, fmt.Errorf("%w: neither X-Amz-Date nor Date is set", ErrMalformedAuth)
	}
	t, err := http.ParseTime(v)
	if err != nil {
		// botocore writes Date with email.utils.formatdate: "... -0000".
		if t, err = time.Parse(time.RFC1123Z, v); err != nil {
			return time.Time{}, fmt.Errorf("%w: Date is not an HTTP date", ErrMalformedAuth)
		}
	}
	return t.UTC(), nil
}

// singleHeader returns the one value of a header, "" when absent.
func singleHeader(r *http.Request, name string) (string, error) {
	vs := r.Header.Values(name)
	if len(vs) > 1 {
		return "", fmt.Errorf("%w: more than one %s header", ErrMalformedAuth, name)
	}
	if len(vs) == 0 {
		return "", nil
	}
	return strings.TrimSpace(vs[0]), nil
}

// singleQuery returns the one value of a query parameter, "" when absent.
func singleQuery(q map[string][]string, name string) (string, error) {
	vs := q[name]
	if len(vs) > 1 {
		return "", fmt.Errorf("%w: more than one %s query parameter", ErrMalformedAuth, name)
	}
	if len(vs) == 0 {
		return "", nil
	}
	return vs[0], nil
}
