package sigv4

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// botocoreFixture is a request captured from botocore by
// testdata/gen_botocore.py.
type botocoreFixture struct {
	Name         string      `json:"name"`
	Method       string      `json:"method"`
	URL          string      `json:"url"`
	Headers      [][2]string `json:"headers"`
	Body         []byte      `json:"body_b64"`
	AccessKey    string      `json:"access_key"`
	SecretKey    string      `json:"secret_key"`
	SessionToken string      `json:"session_token"`
	SignedAt     time.Time   `json:"signed_at"`
	SigningName  string      `json:"signing_name"`
	Region       string      `json:"region"`
	Presigned    bool        `json:"presigned"`
	Payload      []byte      `json:"payload_b64"`
}

func loadBotocore(t testing.TB) map[string]botocoreFixture {
	t.Helper()
	files, err := filepath.Glob(filepath.Join("testdata", "botocore", "*.json"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no botocore fixtures: %v", err)
	}
	out := make(map[string]botocoreFixture, len(files))
	for _, f := range files {
		raw, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var fx botocoreFixture
		if err := json.Unmarshal(raw, &fx); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		out[fx.Name] = fx
	}
	return out
}

func (fx botocoreFixture) lookup() Lookup {
	return lookupFor(testCreds{fx.AccessKey, fx.SecretKey, fx.SessionToken})
}

// wire renders the fixture as the bytes urllib3 would send: the request
// target from the URL, Host with a non-default port, the captured headers,
// and the body framed with HTTP chunking when Transfer-Encoding is chunked
// or given a Content-Length otherwise.
func (fx botocoreFixture) wire(t testing.TB) []byte {
	t.Helper()
	u, err := url.Parse(fx.URL)
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	fmt.Fprintf(&b, "%s %s HTTP/1.1\r\nHost: %s\r\n", fx.Method, u.RequestURI(), u.Host)
	chunked, hasLength := false, false
	for _, h := range fx.Headers {
		fmt.Fprintf(&b, "%s: %s\r\n", h[0], h[1])
		chunked = chunked || strings.EqualFold(h[0], "Transfer-Encoding") && h[1] == "chunked"
		hasLength = hasLength || strings.EqualFold(h[0], "Content-Length")
	}
	switch {
	case chunked:
		b.WriteString("\r\n")
		cw := httputil.NewChunkedWriter(&b)
		cw.Write(fx.Body)
		cw.Close()
		b.WriteString("\r\n")
	case !hasLength && len(fx.Body) > 0:
		fmt.Fprintf(&b, "Content-Length: %d\r\n\r\n", len(fx.Body))
		b.Write(fx.Body)
	default:
		b.WriteString("\r\n")
		b.Write(fx.Body)
	}
	return b.Bytes()
}

func TestVerifyBotocore(t *testing.T) {
	for name, fx := range loadBotocore(t) {
		t.Run(name, func(t *testing.T) {
			r, body := parseWire(t, fx.wire(t))
			res, err := Verify(r, body, fx.lookup(), fx.SignedAt.Add(time.Minute))
			if err != nil {
				t.Fatalf("Verify: %v (code %s)", err, Code(err))
			}
			if res.AccessKeyID != fx.AccessKey || res.SessionToken != fx.SessionToken {
				t.Errorf("credentials = %q/%q", res.AccessKeyID, res.SessionToken)
			}
			if res.SigningName != fx.SigningName || res.Region != fx.Region || res.Presigned != fx.Presigned {
				t.Errorf("scope = %s/%s presigned=%v", res.Region, res.SigningName, res.Presigned)
			}
			if !bytes.Equal(res.Payload, fx.Payload) {
				t.Errorf("Payload = %q, want %q", res.Payload, fx.Payload)
			}
			// botocore never signs Content-Length (it is added after signing).
			for _, h := range res.SignedHeaders {
				if h == "content-length" {
					t.Errorf("botocore signed content-length? %v", res.SignedHeaders)
				}
			}
		})
	}
}

// TestVerifyBotocoreChunkedTrailers checks what the aws-chunked uploads carry.
func TestVerifyBotocoreChunkedTrailers(t *testing.T) {
	fixtures := loadBotocore(t)
	for name, trailer := range map[string]string{
		"s3_put_object_aws_chunked":        "X-Amz-Checksum-Crc32",
		"s3_put_object_aws_chunked_sha256": "X-Amz-Checksum-Sha256",
	} {
		t.Run(name, func(t *testing.T) {
			fx := fixtures[name]
			r, body := parseWire(t, fx.wire(t))
			res, err := Verify(r, body, fx.lookup(), fx.SignedAt)
			if err != nil {
				t.Fatal(err)
			}
			if res.PayloadHash != StreamingUnsignedPayloadTrailer {
				t.Errorf("PayloadHash = %s", res.PayloadHash)
			}
			if res.Trailers.Get(trailer) == "" {
				t.Errorf("Trailers = %v, want %s", res.Trailers, trailer)
			}
		})
	}
}

// TestVerifyBotocoreRejects changes one thing about a botocore request.
func TestVerifyBotocoreRejects(t *testing.T) {
	fixtures := loadBotocore(t)
	setHeader := func(name, value string) func(*botocoreFixture) {
		return func(fx *botocoreFixture) {
			hs := append([][2]string(nil), fx.Headers...)
			for i := range hs {
				if strings.EqualFold(hs[i][0], name) {
					hs[i][1] = value
				}
			}
			fx.Headers = hs
		}
	}
	flipBody := func(i int) func(*botocoreFixture) {
		return func(fx *botocoreFixture) {
			fx.Body = bytes.Clone(fx.Body)
			fx.Body[i] ^= 1
		}
	}
	tests := []struct {
		fixture string
		name    string
		change  func(*botocoreFixture)
		wrong   string // secret to use instead
		after   time.Duration
		want    error
	}{
		{"s3_put_object_http_signed_payload", "tampered body", flipBody(0), "", 0, ErrPayloadHashMismatch},
		{"s3_put_object_http_signed_payload", "tampered signed metadata", setHeader("x-amz-meta-note", "other"), "", 0, ErrSignatureMismatch},
		{"s3_put_object_http_signed_payload", "unsigned header changed is fine", setHeader("User-Agent", "other"), "", 0, nil},
		{"s3_put_object_aws_chunked", "tampered chunk data fails the trailer checksum", flipBody(10), "", 0, ErrChecksumMismatch},
		{"s3_put_object_aws_chunked", "truncated chunked body", func(fx *botocoreFixture) { fx.Body = fx.Body[:len(fx.Body)-20] }, "", 0, ErrMalformedChunkedBody},
		{"s3_put_object_aws_chunked", "decoded length changed", setHeader("X-Amz-Decoded-Content-Length", "961"), "", 0, ErrSignatureMismatch},
		{"s3_get_object_token", "wrong secret", nil, "wrong/secret", 0, ErrSignatureMismatch},
		{"s3_get_object_token", "token changed", setHeader("X-Amz-Security-Token", "forged"), "", 0, ErrUnknownCredentials},
		{"s3_get_object_token", "skewed", nil, "", MaxSkew + time.Second, ErrTimeSkewed},
		{"dynamodb_put_item_token", "tampered json body", flipBody(5), "", 0, ErrSignatureMismatch},
		{"dynamodb_put_item_token", "tampered target", setHeader("X-Amz-Target", "DynamoDB_20120810.DeleteItem"), "", 0, ErrSignatureMismatch},
		{"sts_get_caller_identity", "tampered form", flipBody(8), "", 0, ErrSignatureMismatch},
		{"lambda_invoke_arn_double_encoded", "wrong secret", nil, "x", 0, ErrSignatureMismatch},
		{"s3_presign_get_token", "expired", nil, "", 15*time.Minute + time.Second, ErrPresignExpired},
		{"s3_presign_get_token", "still valid at the edge", nil, "", 15 * time.Minute, nil},
		{"s3_presign_put", "wrong secret", nil, "x", 0, ErrSignatureMismatch},
		{"sts_presign_get_caller_identity", "expired", nil, "", time.Hour, ErrPresignExpired},
		{"ec2_describe_instances_filters", "missing auth", func(fx *botocoreFixture) {
			var hs [][2]string
			for _, h := range fx.Headers {
				if h[0] != "Authorization" {
					hs = append(hs, h)
				}
			}
			fx.Headers = hs
		}, "", 0, ErrMissingAuth},
	}
	for _, tt := range tests {
		t.Run(tt.fixture+"/"+tt.name, func(t *testing.T) {
			fx, ok := fixtures[tt.fixture]
			if !ok {
				t.Fatalf("no fixture %s", tt.fixture)
			}
			if tt.change != nil {
				tt.change(&fx)
			}
			lookup := fx.lookup()
			if tt.wrong != "" {
				lookup = lookupFor(testCreds{fx.AccessKey, tt.wrong, fx.SessionToken})
			}
			r, body := parseWire(t, fx.wire(t))
			_, err := Verify(r, body, lookup, fx.SignedAt.Add(tt.after))
			if !errors.Is(err, tt.want) {
				t.Fatalf("Verify error = %v, want %v", err, tt.want)
			}
		})
	}
}
