package awsemu

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
)

const stsBody = "Action=GetCallerIdentity&Version=2011-06-15"

func hashOf(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}

// stsRequest builds a signed GetCallerIdentity; mutate runs after signing.
func stsRequest(t *testing.T, e *Emulator, creds aws.Credentials, at time.Time, hash string, mutate func(*http.Request)) *http.Request {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, e.URL+"/?probe=1", strings.NewReader(stsBody))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("X-Amz-Content-Sha256", hash)
	if err := v4.NewSigner().SignHTTP(context.Background(), creds, req, hash, "sts", "us-east-1", at); err != nil {
		t.Fatal(err)
	}
	if mutate != nil {
		mutate(req)
	}
	return req
}

func TestProxyRefusesWhatTheGatewayDidNotSign(t *testing.T) {
	e := start(t)
	now := time.Now()
	other := aws.Credentials{AccessKeyID: "AKIAOTHER00000000001", SecretAccessKey: "x"}
	wrongSecret := aws.Credentials{AccessKeyID: gatewayCreds.AccessKeyID, SecretAccessKey: "not-the-secret"}
	good := hashOf(stsBody)
	cases := []struct {
		name     string
		req      func() *http.Request
		wantCode string // "" = accepted
	}{
		{"gateway signature", func() *http.Request { return stsRequest(t, e, gatewayCreds, now, good, nil) }, ""},
		{"unsigned header added after signing", func() *http.Request {
			return stsRequest(t, e, gatewayCreds, now, good, func(r *http.Request) { r.Header.Set("X-Extra", "1") })
		}, ""},
		{"unsigned", func() *http.Request {
			return stsRequest(t, e, gatewayCreds, now, good, func(r *http.Request) { r.Header.Del("Authorization") })
		}, "MissingAuthenticationToken"},
		{"other access key", func() *http.Request { return stsRequest(t, e, other, now, good, nil) }, "InvalidAccessKeyId"},
		{"wrong secret", func() *http.Request { return stsRequest(t, e, wrongSecret, now, good, nil) }, "SignatureDoesNotMatch"},
		{"signed header changed", func() *http.Request {
			return stsRequest(t, e, gatewayCreds, now, good, func(r *http.Request) { r.Header.Set("Content-Type", "application/json") })
		}, "SignatureDoesNotMatch"},
		{"query changed", func() *http.Request {
			return stsRequest(t, e, gatewayCreds, now, good, func(r *http.Request) { r.URL.RawQuery = "probe=2" })
		}, "SignatureDoesNotMatch"},
		{"host changed", func() *http.Request {
			return stsRequest(t, e, gatewayCreds, now, good, func(r *http.Request) { r.Host = "sts.amazonaws.com" })
		}, "SignatureDoesNotMatch"},
		{"payload hash of another body", func() *http.Request { return stsRequest(t, e, gatewayCreds, now, hashOf("other"), nil) }, "XAmzContentSHA256Mismatch"},
		{"signed an hour ago", func() *http.Request { return stsRequest(t, e, gatewayCreds, now.Add(-time.Hour), good, nil) }, "RequestTimeTooSkewed"},
		{"unexpected session token", func() *http.Request {
			c := gatewayCreds
			c.SessionToken = "tok"
			return stsRequest(t, e, c, now, good, nil)
		}, "InvalidToken"},
		{"presigned", func() *http.Request {
			req, _ := http.NewRequest(http.MethodGet, e.URL+"/?Action=GetCallerIdentity&Version=2011-06-15", nil)
			u, _, err := v4.NewSigner().PresignHTTP(context.Background(), gatewayCreds, req, hashOf(""), "sts", "us-east-1", now)
			if err != nil {
				t.Fatal(err)
			}
			req, _ = http.NewRequest(http.MethodGet, u, nil)
			return req
		}, "AccessDenied"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e.Reset()
			resp, err := http.DefaultClient.Do(c.req())
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if c.wantCode == "" {
				if resp.StatusCode != http.StatusOK || len(e.Requests()) != 1 {
					t.Fatalf("status %d, %d recorded; body %s", resp.StatusCode, len(e.Requests()), body)
				}
				return
			}
			if resp.StatusCode != http.StatusForbidden || !strings.Contains(string(body), c.wantCode) {
				t.Fatalf("status %d body %s, want 403 %s", resp.StatusCode, body, c.wantCode)
			}
			if n := len(e.Requests()); n != 0 {
				t.Fatalf("refused request recorded (%d)", n)
			}
			if strings.Contains(string(body), gatewayCreds.SecretAccessKey) {
				t.Fatal("secret in error body")
			}
		})
	}
}

func TestParseAuthorization(t *testing.T) {
	sig := strings.Repeat("ab", 32)
	cases := []struct {
		name    string
		in      string
		wantErr bool
		signed  int
	}{
		{"go sdk spacing", "AWS4-HMAC-SHA256 Credential=AK/20260101/us-east-1/s3/aws4_request, SignedHeaders=host;x-amz-date, Signature=" + sig, false, 2},
		{"botocore spacing", "AWS4-HMAC-SHA256 Credential=AK/20260101/us-east-1/s3/aws4_request,SignedHeaders=host,Signature=" + sig, false, 1},
		{"extra spaces", "  AWS4-HMAC-SHA256   Credential=AK/20260101/eu-west-1/sts/aws4_request ,  SignedHeaders=host;x-amz-date ,Signature=" + sig + " ", false, 2},
		{"sigv2", "AWS AK:sig", true, 0},
		{"sigv4a", "AWS4-ECDSA-P256-SHA256 Credential=AK/20260101/s3/aws4_request, SignedHeaders=host, Signature=" + sig, true, 0},
		{"short scope", "AWS4-HMAC-SHA256 Credential=AK/20260101/s3/aws4_request, SignedHeaders=host, Signature=" + sig, true, 0},
		{"bad signature", "AWS4-HMAC-SHA256 Credential=AK/20260101/us-east-1/s3/aws4_request, SignedHeaders=host, Signature=zz", true, 0},
		{"no signed headers", "AWS4-HMAC-SHA256 Credential=AK/20260101/us-east-1/s3/aws4_request, Signature=" + sig, true, 0},
		{"unknown part", "AWS4-HMAC-SHA256 Credential=AK/20260101/us-east-1/s3/aws4_request, SignedHeaders=host, Signature=" + sig + ", X=1", true, 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			a, err := parseAuthorization(c.in)
			if (err != nil) != c.wantErr {
				t.Fatalf("err = %v, wantErr %v", err, c.wantErr)
			}
			if err == nil && (a.AccessKeyID != "AK" || len(a.SignedHeaders) != c.signed || len(a.Signature) != 32) {
				t.Fatalf("parsed %+v", a)
			}
		})
	}
}

func FuzzParseAuthorization(f *testing.F) {
	f.Add("AWS4-HMAC-SHA256 Credential=AK/20260101/us-east-1/s3/aws4_request, SignedHeaders=host;x-amz-date, Signature=" + strings.Repeat("0", 64))
	f.Add("AWS4-HMAC-SHA256 Credential=,,,")
	f.Fuzz(func(t *testing.T, s string) {
		a, err := parseAuthorization(s)
		if err == nil && (a.AccessKeyID == "" || a.SigningName == "" || len(a.Signature) != 32 || len(a.SignedHeaders) == 0) {
			t.Fatalf("accepted incomplete authorization %q", s)
		}
	})
}
