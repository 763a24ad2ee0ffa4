package sigv4

import (
	"errors"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

// TestVerifyCoverage: what AWS refuses because the signature does not cover
// it is refused here too, with a distinct error.
func TestVerifyCoverage(t *testing.T) {
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
	lambda := byName("lambda invoke arn path double encoded")
	presignedPut := byName("s3 presigned put without token")
	presignedSTS := byName("sts presigned get caller identity")
	chunked := byName("s3 aws-chunked unsigned payload trailer")
	addHeader := func(name, value string) func(*http.Request, []byte) []byte {
		return func(r *http.Request, b []byte) []byte { r.Header.Set(name, value); return b }
	}
	tests := []struct {
		name   string
		c      sdkCase
		change func(*http.Request, []byte) []byte
		want   error // nil: accepted
		code   string
		status int
		msg    []string // substrings of the error message
	}{
		{name: "unsigned x-amz-copy-source", c: s3put, change: addHeader("X-Amz-Copy-Source", "/other/secret.txt"),
			want: ErrUnsignedHeader, code: "AccessDenied", status: http.StatusForbidden, msg: []string{"x-amz-copy-source", "sign every x-amz-* header"}},
		{name: "unsigned x-amz-acl on a presigned put", c: presignedPut, change: addHeader("X-Amz-Acl", "public-read"),
			want: ErrUnsignedHeader, code: "AccessDenied", status: http.StatusForbidden, msg: []string{"x-amz-acl"}},
		{name: "unsigned x-amz-target beside a signed one", c: ddb, change: func(r *http.Request, b []byte) []byte {
			r.Header["x-amz-target"] = []string{"DynamoDB_20120810.DeleteTable"} // a non-canonical key
			return b
		}, want: ErrUnsignedHeader, msg: []string{"x-amz-target"}},
		{name: "several unsigned headers named in order", c: s3put, change: func(r *http.Request, b []byte) []byte {
			r.Header.Set("X-Amz-Tagging", "a=b")
			r.Header.Set("X-Amz-Acl", "public-read")
			return b
		}, want: ErrUnsignedHeader, msg: []string{"x-amz-acl, x-amz-tagging"}},
		{name: "unsigned non-amz header is not refused here", c: s3put, change: addHeader("X-Forwarded-For", "10.0.0.1")},
		{name: "unsigned payload to dynamodb", c: ddb.with(func(c *sdkCase) { c.payloadHash, c.setContentSHA = UnsignedPayload, true }),
			want: ErrPayloadNotSigned, code: "InvalidRequest", status: http.StatusBadRequest, msg: []string{"UNSIGNED-PAYLOAD", "only for S3"}},
		{name: "unsigned payload to lambda without the header", c: lambda.with(func(c *sdkCase) { c.payloadHash = UnsignedPayload }),
			want: ErrSignatureMismatch}, // the gateway signs with the body's hash when the header is absent
		{name: "streaming payload to lambda", c: lambda.with(func(c *sdkCase) {
			c.payloadHash, c.setContentSHA = StreamingUnsignedPayloadTrailer, true
		}), want: ErrPayloadNotSigned},
		{name: "presigned sts with unsigned payload", c: presignedSTS.with(func(c *sdkCase) {
			c.query += "&X-Amz-Content-Sha256=UNSIGNED-PAYLOAD"
			c.payloadHash = UnsignedPayload
		}), want: ErrPayloadNotSigned},
		{name: "unsigned payload to s3-object-lambda", c: ddb.with(func(c *sdkCase) {
			c.service, c.payloadHash, c.setContentSHA = "s3-object-lambda", UnsignedPayload, true
		})},
		{name: "unsigned payload to s3express", c: ddb.with(func(c *sdkCase) {
			c.service, c.payloadHash, c.setContentSHA = "s3express", UnsignedPayload, true
		})},
		{name: "streaming payload to s3", c: chunked},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, body := tt.c.sign(t, tt.c.creds.secret)
			if tt.change != nil {
				body = tt.change(r, body)
			}
			_, err := Verify(r, body, testLookup, sdkSignedAt.Add(time.Minute))
			if !errors.Is(err, tt.want) || (tt.want == nil) != (err == nil) {
				t.Fatalf("Verify error = %v, want %v", err, tt.want)
			}
			if tt.code != "" && Code(err) != tt.code {
				t.Errorf("Code = %s, want %s", Code(err), tt.code)
			}
			if tt.status != 0 && HTTPStatus(err) != tt.status {
				t.Errorf("HTTPStatus = %d, want %d", HTTPStatus(err), tt.status)
			}
			for _, m := range tt.msg {
				if !strings.Contains(err.Error(), m) {
					t.Errorf("message %q lacks %q", err, m)
				}
			}
		})
	}
}

// TestSigV2Refused: SigV2 in either form gets a message that says how to
// sign instead, not "request is not signed".
func TestSigV2Refused(t *testing.T) {
	tests := []struct {
		name  string
		build func(r *http.Request)
		msg   string
	}{
		{"presigned url", func(r *http.Request) {
			r.URL.RawQuery = "AWSAccessKeyId=ASIAEXAMPLE&Signature=dGVzdA%3D%3D&Expires=1893456000&x-amz-security-token=tok"
		}, "SigV2 presigned URLs are not accepted; presign with signature_version s3v4"},
		{"authorization header", func(r *http.Request) {
			r.Header.Set("Authorization", "AWS ASIAEXAMPLE:dGVzdA==")
		}, "sign with SigV4"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := http.NewRequest(http.MethodGet, "http://gw.example.test/bucket/key.txt", nil)
			if err != nil {
				t.Fatal(err)
			}
			tt.build(r)
			for what, err := range map[string]error{
				"Verify":      func() error { _, err := Verify(r, nil, testLookup, sdkSignedAt); return err }(),
				"Credentials": func() error { _, err := Credentials(r); return err }(),
			} {
				if !errors.Is(err, ErrSigV2) {
					t.Fatalf("%s error = %v, want ErrSigV2", what, err)
				}
				if !strings.Contains(err.Error(), tt.msg) || Code(err) != "InvalidRequest" || HTTPStatus(err) != http.StatusBadRequest {
					t.Errorf("%s: %q, code %s, status %d", what, err, Code(err), HTTPStatus(err))
				}
			}
		})
	}
}

// TestCredentials: the pre-check reads the claim of both forms without the
// body, and refuses on form alone what Verify refuses on form alone.
func TestCredentials(t *testing.T) {
	const sig = "fe5f80f77d5fa3beca038a248ff027d0445342fe2855ddc963176630326f1024"
	header := "AWS4-HMAC-SHA256 Credential=ASIAKEY/20261126/eu-west-1/DynamoDB/aws4_request, SignedHeaders=host;x-amz-date, Signature=" + sig
	presign := url.Values{"X-Amz-Algorithm": {Algorithm}, "X-Amz-Credential": {"ASIAKEY/20261126/us-east-1/s3/aws4_request"},
		"X-Amz-Date": {"20261126T120000Z"}, "X-Amz-Expires": {"300"}, "X-Amz-SignedHeaders": {"host"},
		"X-Amz-Signature": {sig}, "X-Amz-Security-Token": {"qtok"}}.Encode()
	tests := []struct {
		name    string
		query   string
		headers map[string][]string
		want    Claim
		wantErr error
	}{
		{name: "header form with token", headers: map[string][]string{"Authorization": {header}, "X-Amz-Security-Token": {"htok"}},
			want: Claim{AccessKeyID: "ASIAKEY", SessionToken: "htok", Region: "eu-west-1", SigningName: "dynamodb"}},
		{name: "presigned with token in query", query: presign,
			want: Claim{AccessKeyID: "ASIAKEY", SessionToken: "qtok", Region: "us-east-1", SigningName: "s3", Presigned: true}},
		{name: "nothing", wantErr: ErrMissingAuth},
		{name: "both forms", query: presign, headers: map[string][]string{"Authorization": {header}}, wantErr: ErrMalformedAuth},
		{name: "two authorization headers", headers: map[string][]string{"Authorization": {header, header}}, wantErr: ErrMalformedAuth},
		{name: "two tokens", headers: map[string][]string{"Authorization": {header}, "X-Amz-Security-Token": {"a", "b"}}, wantErr: ErrMalformedAuth},
		{name: "garbage authorization", headers: map[string][]string{"Authorization": {strings.Repeat("A", 300)}}, wantErr: ErrMalformedAuth},
		{name: "sigv4a", headers: map[string][]string{"Authorization": {"AWS4-ECDSA-P256-SHA256 Credential=x"}}, wantErr: ErrUnsupportedAlgorithm},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := &http.Request{Method: http.MethodPut, URL: &url.URL{Path: "/", RawQuery: tt.query}, Header: tt.headers, Host: "gw"}
			if r.Header == nil {
				r.Header = http.Header{}
			}
			got, err := Credentials(r)
			if !errors.Is(err, tt.wantErr) || (tt.wantErr == nil) != (err == nil) {
				t.Fatalf("error = %v, want %v", err, tt.wantErr)
			}
			if err == nil && *got != tt.want {
				t.Errorf("claim = %+v, want %+v", *got, tt.want)
			}
		})
	}
}
