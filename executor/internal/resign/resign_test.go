package resign

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/jitgate/jitgate/internal/awsemu"
	"github.com/jitgate/jitgate/schemas"
)

var creds = aws.Credentials{AccessKeyID: "AKIAGATEWAY000000001", SecretAccessKey: "gateway-secret"}

var authRx = regexp.MustCompile(`Credential=([^/]+)/(\d{8})/([^/]+)/([^/]+)/aws4_request, SignedHeaders=([^,]+), Signature=`)

// scope returns the signed region, signing name and signed headers.
func scope(t *testing.T, r *http.Request) (region, name string, signed []string) {
	t.Helper()
	m := authRx.FindStringSubmatch(r.Header.Get("Authorization"))
	if m == nil {
		t.Fatalf("Authorization %q does not parse", r.Header.Get("Authorization"))
	}
	return m[3], m[4], strings.Split(m[5], ";")
}

func target(t *testing.T, base, name, region string) Target {
	t.Helper()
	u, err := url.Parse(base)
	if err != nil {
		t.Fatal(err)
	}
	return Target{Base: u, SigningName: name, SigningRegion: region}
}

func hexSHA(b string) string {
	s := sha256.Sum256([]byte(b))
	return hex.EncodeToString(s[:])
}

func hdrs(kv ...string) []schemas.Header {
	var out []schemas.Header
	for i := 0; i+1 < len(kv); i += 2 {
		out = append(out, schemas.Header{Name: kv[i], Value: kv[i+1]})
	}
	return out
}

func TestRequestShape(t *testing.T) {
	now := time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
	s3t := target(t, "https://s3.eu-west-1.amazonaws.com", "s3", "eu-west-1")
	cases := []struct {
		name   string
		http   schemas.HTTPRequest
		target Target
		check  func(t *testing.T, r *http.Request)
	}{
		{
			name: "only client-signed headers are signed",
			http: schemas.HTTPRequest{Method: "POST", Path: "/",
				Headers: hdrs("Content-Type", "application/x-amz-json-1.0", "X-Amz-Target", "DynamoDB_20120810.ListTables",
					"User-Agent", "agent/1", "X-Custom", "kept", "Authorization", "AWS4-HMAC-SHA256 agent", "X-Amz-Date", "20200101T000000Z",
					"X-Amz-Security-Token", "agent-token"),
				SignedHeaders: []string{"content-type", "host", "x-amz-date", "x-amz-security-token", "x-amz-target"},
				Body:          []byte("{}"), BodySize: 2},
			target: target(t, "https://dynamodb.us-east-1.amazonaws.com", "dynamodb", "us-east-1"),
			check: func(t *testing.T, r *http.Request) {
				_, _, signed := scope(t, r)
				want := []string{"content-length", "content-type", "host", "x-amz-date", "x-amz-target"}
				if !slices.Equal(signed, want) {
					t.Errorf("signed %v, want %v", signed, want)
				}
				if r.Header.Get("X-Custom") != "kept" || r.Header.Get("User-Agent") != "agent/1" {
					t.Errorf("unsigned headers not added back: %v", r.Header)
				}
				if r.Header.Get("X-Amz-Security-Token") != "" {
					t.Error("agent's security token forwarded")
				}
				if r.Header.Get("X-Amz-Date") != "20260501T120000Z" {
					t.Errorf("X-Amz-Date = %q", r.Header.Get("X-Amz-Date"))
				}
				if r.Header.Get("X-Amz-Content-Sha256") != "" {
					t.Error("content sha set for a non-S3 service the agent did not sign it for")
				}
			},
		},
		{
			name:   "query order kept as sent (repeated list members reach AWS in the order judged)",
			http:   schemas.HTTPRequest{Method: "DELETE", Path: "/tags/arn", RawQuery: "tagKeys=zz&tagKeys=aa&a=1", SignedHeaders: []string{"host"}},
			target: target(t, "https://rum.us-east-1.amazonaws.com", "rum", "us-east-1"),
			check: func(t *testing.T, r *http.Request) {
				if r.URL.RawQuery != "tagKeys=zz&tagKeys=aa&a=1" {
					t.Errorf("query sent as %q", r.URL.RawQuery)
				}
			},
		},
		{
			name: "presign parameters stripped, others kept",
			http: schemas.HTTPRequest{Method: "GET", Path: "/bucket",
				RawQuery:      "list-type=2&X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIA%2F20260501%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Date=20260501T000000Z&X-Amz-Expires=900&X-Amz-SignedHeaders=host&X-Amz-Signature=abcd&x-amz-security-token=t&prefix=a%2Fb&x-amz-server-side-encryption=AES256",
				SignedHeaders: []string{"host"}},
			target: s3t,
			check: func(t *testing.T, r *http.Request) {
				q := r.URL.Query()
				for k := range q {
					switch strings.ToLower(k) {
					case "x-amz-algorithm", "x-amz-credential", "x-amz-date", "x-amz-expires", "x-amz-signedheaders", "x-amz-signature", "x-amz-security-token":
						t.Errorf("presign parameter %s forwarded", k)
					}
				}
				if q.Get("list-type") != "2" || q.Get("prefix") != "a/b" || q.Get("x-amz-server-side-encryption") != "AES256" {
					t.Errorf("request parameters lost: %s", r.URL.RawQuery)
				}
			},
		},
		{
			name: "host comes from the target, never from the client",
			http: schemas.HTTPRequest{Method: "GET", Path: "/",
				Headers: hdrs("Host", "attacker.example", "X-Forwarded-Host", "attacker.example", "X-Forwarded-Proto", "http",
					"Forwarded", "host=attacker.example", "Via", "1.1 attacker.example"),
				SignedHeaders: []string{"host", "x-forwarded-host"}},
			target: s3t,
			check: func(t *testing.T, r *http.Request) {
				if r.URL.Host != "s3.eu-west-1.amazonaws.com" || (r.Host != "" && r.Host != r.URL.Host) || r.URL.Scheme != "https" {
					t.Errorf("destination %s://%s (Host %q)", r.URL.Scheme, r.URL.Host, r.Host)
				}
				for _, h := range []string{"X-Forwarded-Host", "X-Forwarded-Proto", "Forwarded", "Via", "Host"} {
					if r.Header.Get(h) != "" {
						t.Errorf("%s forwarded", h)
					}
				}
				_, _, signed := scope(t, r)
				if slices.Contains(signed, "x-forwarded-host") {
					t.Error("x-forwarded-host signed")
				}
			},
		},
		{
			name:   "global service signed for its signing region",
			http:   schemas.HTTPRequest{Method: "POST", Path: "/", Headers: hdrs("Content-Type", "application/x-www-form-urlencoded"), SignedHeaders: []string{"content-type", "host"}, Body: []byte("Action=ListUsers&Version=2010-05-08"), BodySize: 35},
			target: target(t, "https://iam.amazonaws.com", "IAM", "us-east-1"),
			check: func(t *testing.T, r *http.Request) {
				region, name, _ := scope(t, r)
				if region != "us-east-1" || name != "iam" {
					t.Errorf("scope %s/%s, want us-east-1/iam (lower-case)", region, name)
				}
			},
		},
		{
			name:   "s3 content sha of an inline body",
			http:   schemas.HTTPRequest{Method: "PUT", Path: "/bucket/key", Headers: hdrs("X-Amz-Content-Sha256", "UNSIGNED-PAYLOAD", "Content-Type", "text/plain"), SignedHeaders: []string{"host", "x-amz-content-sha256"}, Body: []byte("hello"), BodySize: 5},
			target: s3t,
			check: func(t *testing.T, r *http.Request) {
				if got := r.Header.Get("X-Amz-Content-Sha256"); got != hexSHA("hello") {
					t.Errorf("X-Amz-Content-Sha256 = %q", got)
				}
				if _, _, signed := scope(t, r); !slices.Contains(signed, "x-amz-content-sha256") || slices.Contains(signed, "content-type") {
					t.Errorf("signed %v", signed)
				}
				if r.ContentLength != 5 || len(r.TransferEncoding) != 0 {
					t.Errorf("length %d, transfer-encoding %v", r.ContentLength, r.TransferEncoding)
				}
			},
		},
		{
			name: "aws-chunked decoded body goes as UNSIGNED-PAYLOAD with its length",
			http: schemas.HTTPRequest{Method: "PUT", Path: "/bucket/key",
				Headers: hdrs("Content-Encoding", "aws-chunked", "X-Amz-Decoded-Content-Length", "5", "Content-Length", "87",
					"X-Amz-Content-Sha256", "STREAMING-UNSIGNED-PAYLOAD-TRAILER", "X-Amz-Trailer", "x-amz-checksum-crc32",
					"Transfer-Encoding", "chunked", "Expect", "100-continue"),
				SignedHeaders: []string{"content-encoding", "content-length", "host", "x-amz-content-sha256", "x-amz-decoded-content-length", "x-amz-trailer"},
				Body:          []byte("hello"), BodySize: 5},
			target: s3t,
			check: func(t *testing.T, r *http.Request) {
				if got := r.Header.Get("X-Amz-Content-Sha256"); got != UnsignedPayload {
					t.Errorf("X-Amz-Content-Sha256 = %q", got)
				}
				for _, h := range []string{"Content-Encoding", "X-Amz-Decoded-Content-Length", "X-Amz-Trailer", "Transfer-Encoding", "Expect", "Content-Length"} {
					if r.Header.Get(h) != "" {
						t.Errorf("%s forwarded", h)
					}
				}
				if r.ContentLength != 5 {
					t.Errorf("ContentLength = %d", r.ContentLength)
				}
				_, _, signed := scope(t, r)
				if want := []string{"content-length", "host", "x-amz-content-sha256", "x-amz-date"}; !slices.Equal(signed, want) {
					t.Errorf("signed %v, want %v", signed, want)
				}
			},
		},
		{
			name:   "aws-chunked removed from a list of codings",
			http:   schemas.HTTPRequest{Method: "PUT", Path: "/bucket/key", Headers: hdrs("Content-Encoding", "aws-chunked, gzip"), SignedHeaders: []string{"content-encoding", "host"}, Body: []byte("x"), BodySize: 1},
			target: s3t,
			check: func(t *testing.T, r *http.Request) {
				if got := r.Header.Get("Content-Encoding"); got != "gzip" {
					t.Errorf("Content-Encoding = %q", got)
				}
			},
		},
		{
			name:   "hop-by-hop headers and Connection tokens dropped",
			http:   schemas.HTTPRequest{Method: "GET", Path: "/", Headers: hdrs("Connection", "keep-alive, X-Hop", "X-Hop", "1", "Keep-Alive", "300", "TE", "trailers", "Upgrade", "h2c", "Proxy-Authorization", "Basic x", "Trailer", "X-Foo"), SignedHeaders: []string{"host", "x-hop", "connection"}},
			target: s3t,
			check: func(t *testing.T, r *http.Request) {
				for _, h := range []string{"Connection", "X-Hop", "Keep-Alive", "Te", "Upgrade", "Proxy-Authorization", "Trailer"} {
					if r.Header.Get(h) != "" {
						t.Errorf("%s forwarded", h)
					}
				}
			},
		},
		{
			name:   "unsigned Accept-Encoding replaced by identity",
			http:   schemas.HTTPRequest{Method: "POST", Path: "/", Headers: hdrs("Accept-Encoding", "gzip, br", "Content-Type", "application/x-amz-json-1.1"), SignedHeaders: []string{"content-type", "host"}, Body: []byte("{}"), BodySize: 2},
			target: target(t, "https://secretsmanager.us-east-1.amazonaws.com", "secretsmanager", "us-east-1"),
			check: func(t *testing.T, r *http.Request) {
				if got := r.Header.Values("Accept-Encoding"); !slices.Equal(got, []string{"identity"}) {
					t.Errorf("Accept-Encoding = %q, want identity", got)
				}
			},
		},
		{
			name:   "no Accept-Encoding asks for identity",
			http:   schemas.HTTPRequest{Method: "GET", Path: "/", SignedHeaders: []string{"host"}},
			target: s3t,
			check: func(t *testing.T, r *http.Request) {
				if got := r.Header.Get("Accept-Encoding"); got != "identity" {
					t.Errorf("Accept-Encoding = %q, want identity", got)
				}
			},
		},
		{
			// AWS checks the signature over it: changing it would fail the
			// call. The masker decodes gzip and deflate and withholds the rest.
			name:   "signed Accept-Encoding keeps its signed value",
			http:   schemas.HTTPRequest{Method: "POST", Path: "/", Headers: hdrs("Accept-Encoding", "gzip", "Content-Type", "application/x-amz-json-1.0"), SignedHeaders: []string{"accept-encoding", "content-type", "host"}, Body: []byte("{}"), BodySize: 2},
			target: target(t, "https://dynamodb.us-east-1.amazonaws.com", "dynamodb", "us-east-1"),
			check: func(t *testing.T, r *http.Request) {
				if got := r.Header.Values("Accept-Encoding"); !slices.Equal(got, []string{"gzip"}) {
					t.Errorf("Accept-Encoding = %q, want the signed gzip", got)
				}
				if _, _, signed := scope(t, r); !slices.Contains(signed, "accept-encoding") {
					t.Errorf("accept-encoding not re-signed: %v", signed)
				}
			},
		},
		{
			name:   "escaped path kept exactly",
			http:   schemas.HTTPRequest{Method: "GET", Path: "/bucket/a%20b/c%2Bd", SignedHeaders: []string{"host"}},
			target: target(t, "http://127.0.0.1:9/base/", "s3", "us-east-1"),
			check: func(t *testing.T, r *http.Request) {
				if got := r.URL.EscapedPath(); got != "/base/bucket/a%20b/c%2Bd" {
					t.Errorf("path %q", got)
				}
			},
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			h := c.http
			req, err := Request(context.Background(), Input{HTTP: &h, Target: c.target}, creds, now)
			if err != nil {
				t.Fatal(err)
			}
			c.check(t, req)
		})
	}
}

func TestRequestRefuses(t *testing.T) {
	base := target(t, "https://dynamodb.us-east-1.amazonaws.com", "dynamodb", "us-east-1")
	cases := []struct {
		name string
		in   Input
	}{
		{"relative path", Input{HTTP: &schemas.HTTPRequest{Method: "GET", Path: "evil.example/x"}, Target: base}},
		{"bad escape", Input{HTTP: &schemas.HTTPRequest{Method: "GET", Path: "/%zz"}, Target: base}},
		{"bad method", Input{HTTP: &schemas.HTTPRequest{Method: "G T", Path: "/"}, Target: base}},
		{"no target", Input{HTTP: &schemas.HTTPRequest{Method: "GET", Path: "/"}}},
		{"streamed non-S3 body without hash", Input{HTTP: &schemas.HTTPRequest{Method: "POST", Path: "/", BodySize: 3, BodyChunks: 1}, Target: base, Body: strings.NewReader("abc")}},
		{"chunked body not supplied", Input{HTTP: &schemas.HTTPRequest{Method: "POST", Path: "/", BodySize: 3, BodyChunks: 1}, Target: base}},
		{"inline body size mismatch", Input{HTTP: &schemas.HTTPRequest{Method: "POST", Path: "/", Body: []byte("ab"), BodySize: 3}, Target: base}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if _, err := Request(context.Background(), c.in, creds, time.Now()); err == nil {
				t.Fatal("accepted")
			} else if c.name != "bad method" && !errors.Is(err, ErrBadRequest) {
				t.Fatalf("err = %v, want ErrBadRequest", err)
			}
		})
	}
}

// TestSignatureVerifiesUpstream sends re-signed requests to the
// signature-checking emulator.
func TestSignatureVerifiesUpstream(t *testing.T) {
	emu, err := awsemu.Start(creds, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer emu.Close()
	base := target(t, emu.URL, "s3", "us-east-1")
	// kumo's state is per process: the bucket name is unique per run.
	b := fmt.Sprintf("/resign-%d", time.Now().UnixNano())
	steps := []struct {
		name     string
		http     schemas.HTTPRequest
		body     io.Reader // streamed body, else inline
		tgt      Target
		wantBody string
	}{
		{name: "s3 CreateBucket", http: schemas.HTTPRequest{Method: "PUT", Path: b, Headers: hdrs("Host", "attacker.example"), SignedHeaders: []string{"host"}}, tgt: base},
		{name: "s3 PutObject aws-chunked decoded", http: schemas.HTTPRequest{Method: "PUT", Path: b + "/a%20b",
			Headers:       hdrs("Content-Encoding", "aws-chunked", "X-Amz-Decoded-Content-Length", "5", "X-Amz-Content-Sha256", "STREAMING-UNSIGNED-PAYLOAD-TRAILER", "X-Amz-Trailer", "x-amz-checksum-crc32", "Content-Type", "text/plain"),
			SignedHeaders: []string{"content-encoding", "content-type", "host", "x-amz-content-sha256", "x-amz-decoded-content-length", "x-amz-trailer"},
			Body:          []byte("hello"), BodySize: 5}, tgt: base},
		{name: "s3 PutObject streamed", http: schemas.HTTPRequest{Method: "PUT", Path: b + "/streamed", SignedHeaders: []string{"host"}, BodySize: 6, BodyChunks: 1},
			body: strings.NewReader("stream"), tgt: base},
		{name: "s3 GetObject", http: schemas.HTTPRequest{Method: "GET", Path: b + "/a%20b", RawQuery: "X-Amz-Signature=agent&X-Amz-Credential=agent", SignedHeaders: []string{"host"}}, tgt: base, wantBody: "hello"},
		{name: "s3 ListObjectsV2 with an unsorted query", http: schemas.HTTPRequest{Method: "GET", Path: b, RawQuery: "prefix=a&list-type=2", SignedHeaders: []string{"host"}}, tgt: base},
		{name: "s3 GetObject streamed", http: schemas.HTTPRequest{Method: "GET", Path: b + "/streamed", SignedHeaders: []string{"host"}}, tgt: base, wantBody: "stream"},
		{name: "sts GetCallerIdentity", http: schemas.HTTPRequest{Method: "POST", Path: "/", Headers: hdrs("Content-Type", "application/x-www-form-urlencoded; charset=utf-8"), SignedHeaders: []string{"content-type", "host"},
			Body: []byte("Action=GetCallerIdentity&Version=2011-06-15"), BodySize: 43}, tgt: target(t, emu.URL, "sts", "us-east-1")},
		{name: "dynamodb ListTables", http: schemas.HTTPRequest{Method: "POST", Path: "/", Headers: hdrs("Content-Type", "application/x-amz-json-1.0", "X-Amz-Target", "DynamoDB_20120810.ListTables"), SignedHeaders: []string{"content-type", "host", "x-amz-target"},
			Body: []byte("{}"), BodySize: 2}, tgt: target(t, emu.URL, "dynamodb", "eu-west-1")},
	}
	for _, s := range steps {
		t.Run(s.name, func(t *testing.T) {
			emu.Reset()
			h := s.http
			req, err := Request(context.Background(), Input{HTTP: &h, Target: s.tgt, Body: s.body}, creds, time.Now())
			if err != nil {
				t.Fatal(err)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("status %d: %s", resp.StatusCode, b)
			}
			if s.wantBody != "" && string(b) != s.wantBody {
				t.Fatalf("body %q, want %q", b, s.wantBody)
			}
			seen := emu.Requests()
			if len(seen) != 1 || seen[0].SigningName != s.tgt.SigningName || seen[0].Region != s.tgt.SigningRegion {
				t.Fatalf("emulator saw %+v", seen)
			}
			if seen[0].ContentLength != h.BodySize || seen[0].BodySize != int(h.BodySize) {
				t.Fatalf("emulator got length %d, body %d; want %d", seen[0].ContentLength, seen[0].BodySize, h.BodySize)
			}
		})
	}
}
