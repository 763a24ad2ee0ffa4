package sigv4

import (
	"bytes"
	"context"
	"errors"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/smithy-go/encoding/httpbinding"
)

var sdkSignedAt = time.Date(2026, 11, 26, 12, 34, 56, 0, time.UTC)

// sdkCase is one request signed by aws-sdk-go-v2's v4.Signer.
type sdkCase struct {
	name    string
	method  string
	host    string // with port when not default
	path    string // decoded path; encoded with httpbinding.EscapePath
	rawPath string // encoded path to send instead, when set
	query   string // raw, already encoded
	headers map[string]string
	body    []byte
	service string
	creds   testCreds
	// payloadHash is what the signer is given; "" means hex SHA-256 of body.
	payloadHash string
	// setContentSHA sets X-Amz-Content-Sha256 as the S3 client does.
	setContentSHA bool
	presign       time.Duration // > 0: presign with X-Amz-Expires
	payload       []byte        // expected decoded payload; nil means body
}

// with returns a copy of c changed by f.
func (c sdkCase) with(f func(*sdkCase)) sdkCase {
	c.headers = maps.Clone(c.headers)
	f(&c)
	return c
}

func (c sdkCase) request(t testing.TB) (*http.Request, string) {
	t.Helper()
	u := &url.URL{Scheme: "http", Host: c.host, Path: c.path, RawPath: httpbinding.EscapePath(c.path, false), RawQuery: c.query}
	if c.rawPath != "" {
		p, err := url.PathUnescape(c.rawPath)
		if err != nil {
			t.Fatal(err)
		}
		u.Path, u.RawPath = p, c.rawPath
	}
	req, err := http.NewRequest(c.method, u.String(), bytes.NewReader(c.body))
	if err != nil {
		t.Fatal(err)
	}
	if len(c.body) == 0 {
		req.Body, req.ContentLength = http.NoBody, 0
	}
	for k, v := range c.headers {
		req.Header.Set(k, v)
	}
	hash := c.payloadHash
	if hash == "" {
		hash = hexSHA256(c.body)
	}
	if c.setContentSHA {
		req.Header.Set("X-Amz-Content-Sha256", hash)
	}
	return req, hash
}

// sign signs c with the SDK signer and returns the server-side request.
func (c sdkCase) sign(t testing.TB, secret string) (*http.Request, []byte) {
	t.Helper()
	req, hash := c.request(t)
	creds := aws.Credentials{AccessKeyID: c.creds.akid, SecretAccessKey: secret, SessionToken: c.creds.token}
	// As the S3 client configures it; every other client leaves escaping on.
	opt := func(o *v4.SignerOptions) { o.DisableURIPathEscaping = c.service == "s3" }
	signer := v4.NewSigner()
	if c.presign > 0 {
		q := req.URL.Query()
		q.Set("X-Amz-Expires", strconv.Itoa(int(c.presign/time.Second)))
		req.URL.RawQuery = q.Encode()
		signed, _, err := signer.PresignHTTP(context.Background(), creds, req, hash, c.service, "eu-west-1", sdkSignedAt, opt)
		if err != nil {
			t.Fatal(err)
		}
		u, err := url.Parse(signed)
		if err != nil {
			t.Fatal(err)
		}
		req.URL = u // signed headers (if any besides host) stay on req
	} else if err := signer.SignHTTP(context.Background(), creds, req, hash, c.service, "eu-west-1", sdkSignedAt, opt); err != nil {
		t.Fatal(err)
	}
	return toServer(t, req)
}

var sdkCases = []sdkCase{
	{
		name: "s3 put object key with spaces unicode plus equals", method: "PUT", host: "127.0.0.1:9000",
		path: "/bucket/dir/my file+x=y ü~*'();:@&$,!.txt", body: []byte("hello world"),
		headers: map[string]string{"Content-Type": "text/plain", "X-Amz-Meta-Note": "a   b  c"},
		service: "s3", creds: longTerm, setContentSHA: true,
	},
	{
		name: "s3 get object unsigned payload with session token", method: "GET", host: "gw.example.test:8443",
		path: "/bucket/a%2Fliteral/ü key", service: "s3", creds: session,
		payloadHash: UnsignedPayload, setContentSHA: true, headers: map[string]string{"Range": "bytes=0-9"},
	},
	{
		name: "s3 list objects with encoded query", method: "GET", host: "127.0.0.1:9000", path: "/bucket",
		query: "list-type=2&prefix=a%20b%2Fc%2Bd%3De&delimiter=%2F&encoding-type=url", service: "s3",
		creds: session, setContentSHA: true,
	},
	{
		name: "s3 put bucket acl query without value", method: "PUT", host: "s3.example.test", path: "/bucket",
		query: "acl", service: "s3", creds: longTerm, setContentSHA: true, body: []byte("<AccessControlPolicy/>"),
	},
	{
		name: "s3 aws-chunked unsigned payload trailer", method: "PUT", host: "127.0.0.1:9000", path: "/bucket/chunked key",
		body: []byte("5\r\nhello\r\n0\r\nx-amz-checksum-crc32:NhCmhg==\r\n\r\n"), payload: []byte("hello"),
		headers: map[string]string{"Content-Encoding": "aws-chunked", "X-Amz-Decoded-Content-Length": "5", "X-Amz-Trailer": "x-amz-checksum-crc32"},
		service: "s3", creds: session, payloadHash: StreamingUnsignedPayloadTrailer, setContentSHA: true,
	},
	{
		name: "dynamodb put item json with token", method: "POST", host: "127.0.0.1:8000", path: "/",
		headers: map[string]string{"X-Amz-Target": "DynamoDB_20120810.PutItem", "Content-Type": "application/x-amz-json-1.0"},
		body:    []byte(`{"TableName":"jobs","Item":{"id":{"S":"a b ü"}}}`), service: "dynamodb", creds: session,
	},
	{
		name: "sts query post", method: "POST", host: "127.0.0.1:8080", path: "/",
		headers: map[string]string{"Content-Type": "application/x-www-form-urlencoded"},
		body:    []byte("Action=GetCallerIdentity&Version=2011-06-15"), service: "sts", creds: longTerm,
	},
	{
		name: "lambda invoke arn path double encoded", method: "POST", host: "lambda.example.test:443",
		rawPath: "/2015-03-31/functions/arn%3Aaws%3Alambda%3Aeu-west-1%3A123456789012%3Afunction%3Afn%3Alive/invocations",
		body:    []byte(`{"k":"v"}`), service: "lambda", creds: session,
	},
	{
		name: "s3 presigned get with token", method: "GET", host: "127.0.0.1:9000", path: "/bucket/pre signed/ü.txt",
		service: "s3", creds: session, payloadHash: UnsignedPayload, presign: 15 * time.Minute,
	},
	{
		name: "s3 presigned put without token", method: "PUT", host: "gw.example.test", path: "/bucket/up+load=1",
		query: "x-id=PutObject", service: "s3", creds: longTerm, payloadHash: UnsignedPayload, presign: time.Hour,
	},
	{
		name: "sts presigned get caller identity", method: "GET", host: "127.0.0.1:8080", path: "/",
		query: "Action=GetCallerIdentity&Version=2011-06-15", service: "sts", creds: longTerm, presign: time.Minute,
	},
}

func TestVerifySDKSigner(t *testing.T) {
	for _, c := range sdkCases {
		t.Run(c.name, func(t *testing.T) {
			r, body := c.sign(t, c.creds.secret)
			res, err := Verify(r, body, testLookup, sdkSignedAt.Add(time.Minute))
			if err != nil {
				t.Fatalf("Verify: %v (code %s)", err, Code(err))
			}
			if res.AccessKeyID != c.creds.akid || res.SessionToken != c.creds.token {
				t.Errorf("credentials = %q/%q, want %q/%q", res.AccessKeyID, res.SessionToken, c.creds.akid, c.creds.token)
			}
			if res.Region != "eu-west-1" || res.SigningName != c.service {
				t.Errorf("scope = %s/%s", res.Region, res.SigningName)
			}
			if res.Presigned != (c.presign > 0) {
				t.Errorf("Presigned = %v", res.Presigned)
			}
			if !res.SignedAt.Equal(sdkSignedAt) {
				t.Errorf("SignedAt = %v", res.SignedAt)
			}
			// The Go signer signs Content-Length whenever there is a body.
			if c.presign == 0 && len(c.body) > 0 && !slices.Contains(res.SignedHeaders, "content-length") {
				t.Errorf("SignedHeaders = %v, want content-length among them", res.SignedHeaders)
			}
			want := c.payload
			if want == nil {
				want = c.body
			}
			if !bytes.Equal(res.Payload, want) {
				t.Errorf("Payload = %q, want %q", res.Payload, want)
			}
			if c.payloadHash != "" && res.PayloadHash != c.payloadHash {
				t.Errorf("PayloadHash = %q, want %q", res.PayloadHash, c.payloadHash)
			}
		})
	}
}

// TestVerifySDKSignerRejects changes one thing about an SDK-signed request.
func TestVerifySDKSignerRejects(t *testing.T) {
	byName := func(name string) sdkCase {
		for _, c := range sdkCases {
			if c.name == name {
				return c
			}
		}
		t.Fatalf("no case %q", name)
		return sdkCase{}
	}
	s3put := byName("s3 put object key with spaces unicode plus equals")
	ddb := byName("dynamodb put item json with token")
	presigned := byName("s3 presigned get with token")
	lambda := byName("lambda invoke arn path double encoded")
	chunked := byName("s3 aws-chunked unsigned payload trailer")
	now := sdkSignedAt.Add(time.Minute)
	tests := []struct {
		name   string
		c      sdkCase
		secret string
		change func(r *http.Request, body []byte) []byte
		now    time.Time
		want   error
	}{
		{name: "s3 tampered body", c: s3put, change: func(_ *http.Request, b []byte) []byte { b[0] ^= 1; return b }, want: ErrPayloadHashMismatch},
		{name: "dynamodb tampered body", c: ddb, change: func(_ *http.Request, b []byte) []byte { b[len(b)-2] ^= 1; return b }, want: ErrSignatureMismatch},
		{name: "tampered signed header", c: ddb, change: func(r *http.Request, b []byte) []byte {
			r.Header.Set("X-Amz-Target", "DynamoDB_20120810.DeleteTable")
			return b
		}, want: ErrSignatureMismatch},
		{name: "tampered host port", c: s3put, change: func(r *http.Request, b []byte) []byte { r.Host = "127.0.0.1:9001"; return b }, want: ErrSignatureMismatch},
		{name: "tampered method", c: s3put, change: func(r *http.Request, b []byte) []byte { r.Method = "POST"; return b }, want: ErrSignatureMismatch},
		{name: "tampered path encoding", c: lambda, change: func(r *http.Request, b []byte) []byte {
			r.RequestURI = "/2015-03-31/functions/arn%3aaws%3alambda%3aeu-west-1%3a123456789012%3afunction%3afn%3alive/invocations"
			return b
		}, want: ErrSignatureMismatch},
		{name: "tampered query", c: presigned, change: func(r *http.Request, b []byte) []byte {
			r.URL.RawQuery += "&response-content-type=text%2Fhtml"
			return b
		}, want: ErrSignatureMismatch},
		{name: "unsigned header added is fine but token swap is not", c: ddb, change: func(r *http.Request, b []byte) []byte {
			r.Header.Set("X-Amz-Security-Token", "another-token")
			return b
		}, want: ErrUnknownCredentials},
		{name: "decoded length differs", c: chunked.with(func(c *sdkCase) { c.headers["X-Amz-Decoded-Content-Length"] = "6" }), want: ErrDecodedLengthMismatch},
		{name: "chunked trailer checksum wrong", c: chunked.with(func(c *sdkCase) {
			c.body = []byte("5\r\nhellO\r\n0\r\nx-amz-checksum-crc32:NhCmhg==\r\n\r\n")
		}), want: ErrChecksumMismatch},
		{name: "declared trailer missing", c: chunked.with(func(c *sdkCase) { c.body = []byte("5\r\nhello\r\n0\r\n\r\n") }), want: ErrMalformedChunkedBody},
		{name: "sigv4a streaming payload", c: chunked.with(func(c *sdkCase) { c.payloadHash = "STREAMING-AWS4-ECDSA-P256-SHA256-PAYLOAD" }), want: ErrUnsupportedPayload},
		{name: "garbage payload hash", c: s3put.with(func(c *sdkCase) { c.payloadHash = "not-a-hash" }), want: ErrUnsupportedPayload},
		{name: "streaming payload in presigned request", c: presigned.with(func(c *sdkCase) {
			c.payloadHash, c.setContentSHA = StreamingUnsignedPayloadTrailer, true
		}), want: ErrUnsupportedPayload},
		{name: "signed chunks without chunk signatures", c: chunked.with(func(c *sdkCase) { c.payloadHash = StreamingSignedPayload }), want: ErrMalformedChunkedBody},
		{name: "two authorization headers", c: s3put, change: func(r *http.Request, b []byte) []byte {
			r.Header.Add("Authorization", r.Header.Get("Authorization"))
			return b
		}, want: ErrMalformedAuth},
		{name: "unknown access key", c: s3put.with(func(c *sdkCase) { c.creds.akid = "AKIDUNKNOWN" }), want: ErrUnknownCredentials},
		{name: "wrong secret", c: s3put, secret: "not-the-secret", want: ErrSignatureMismatch},
		{name: "skewed past", c: s3put, now: sdkSignedAt.Add(MaxSkew + time.Second), want: ErrTimeSkewed},
		{name: "skewed future", c: s3put, now: sdkSignedAt.Add(-MaxSkew - time.Second), want: ErrTimeSkewed},
		{name: "presign expired", c: presigned, now: sdkSignedAt.Add(15*time.Minute + time.Second), want: ErrPresignExpired},
		{name: "presign not yet valid", c: presigned, now: sdkSignedAt.Add(-MaxSkew - time.Second), want: ErrTimeSkewed},
		{name: "missing auth", c: s3put, change: func(r *http.Request, b []byte) []byte { r.Header.Del("Authorization"); return b }, want: ErrMissingAuth},
		{name: "two auth mechanisms", c: s3put, change: func(r *http.Request, b []byte) []byte {
			r.URL.RawQuery = "X-Amz-Signature=" + emptySHA256
			return b
		}, want: ErrMalformedAuth},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			secret := tt.secret
			if secret == "" {
				secret = tt.c.creds.secret
			}
			r, body := tt.c.sign(t, secret)
			if tt.change != nil {
				body = tt.change(r, body)
			}
			at := tt.now
			if at.IsZero() {
				at = now
			}
			_, err := Verify(r, body, testLookup, at)
			if !errors.Is(err, tt.want) {
				t.Fatalf("Verify error = %v, want %v", err, tt.want)
			}
		})
	}
}

// TestVerifyTokenMustBeSigned adds a session token after signing.
func TestVerifyTokenMustBeSigned(t *testing.T) {
	c := sdkCases[0] // long-term credentials, no token signed
	r, body := c.sign(t, c.creds.secret)
	r.Header.Set("X-Amz-Security-Token", session.token)
	_, err := Verify(r, body, testLookup, sdkSignedAt)
	if !errors.Is(err, ErrSecurityTokenNotSigned) {
		t.Fatalf("Verify error = %v, want ErrSecurityTokenNotSigned", err)
	}
	if Code(err) != "IncompleteSignature" {
		t.Errorf("Code = %s", Code(err))
	}
}
