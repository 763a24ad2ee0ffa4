package sigv4

import (
	"errors"
	"slices"
	"strings"
	"testing"
)

func TestParseAuthorization(t *testing.T) {
	const sig = "fe5f80f77d5fa3beca038a248ff027d0445342fe2855ddc963176630326f1024"
	cred := "AKID/20261126/us-east-1/s3/aws4_request"
	tests := []struct {
		name    string
		in      string
		wantErr error
		headers []string
	}{
		{name: "botocore comma space", in: "AWS4-HMAC-SHA256 Credential=" + cred + ", SignedHeaders=host;x-amz-date, Signature=" + sig, headers: []string{"host", "x-amz-date"}},
		{name: "no spaces after commas", in: "AWS4-HMAC-SHA256 Credential=" + cred + ",SignedHeaders=host,Signature=" + sig, headers: []string{"host"}},
		{name: "spaces only", in: "AWS4-HMAC-SHA256 Credential=" + cred + " SignedHeaders=host Signature=" + sig, headers: []string{"host"}},
		{name: "extra spacing and tabs reordered", in: "  AWS4-HMAC-SHA256   Signature=" + sig + " ,\tCredential=" + cred + " ,  SignedHeaders=content-type;host  ", headers: []string{"content-type", "host"}},
		{name: "upper-case signature hex", in: "AWS4-HMAC-SHA256 Credential=" + cred + ", SignedHeaders=host, Signature=" + strings.ToUpper(sig), headers: []string{"host"}},
		{name: "empty", in: "", wantErr: ErrMalformedAuth},
		{name: "sigv2", in: "AWS AKID:c2lnbmF0dXJl", wantErr: ErrUnsupportedAlgorithm},
		{name: "sigv4a", in: "AWS4-ECDSA-P256-SHA256 Credential=AKID/20261126/s3/aws4_request, SignedHeaders=host, Signature=" + sig, wantErr: ErrUnsupportedAlgorithm},
		{name: "bearer", in: "Bearer abc", wantErr: ErrUnsupportedAlgorithm},
		{name: "missing signature", in: "AWS4-HMAC-SHA256 Credential=" + cred + ", SignedHeaders=host", wantErr: ErrMalformedAuth},
		{name: "duplicate field", in: "AWS4-HMAC-SHA256 Credential=" + cred + ", Credential=" + cred + ", SignedHeaders=host, Signature=" + sig, wantErr: ErrMalformedAuth},
		{name: "unknown field", in: "AWS4-HMAC-SHA256 Credential=" + cred + ", SignedHeaders=host, Signature=" + sig + ", Foo=bar", wantErr: ErrMalformedAuth},
		{name: "field without equals", in: "AWS4-HMAC-SHA256 Credential=" + cred + ", SignedHeaders=host, Signature", wantErr: ErrMalformedAuth},
		{name: "short signature", in: "AWS4-HMAC-SHA256 Credential=" + cred + ", SignedHeaders=host, Signature=abcd", wantErr: ErrMalformedAuth},
		{name: "non-hex signature", in: "AWS4-HMAC-SHA256 Credential=" + cred + ", SignedHeaders=host, Signature=" + strings.Repeat("z", 64), wantErr: ErrMalformedAuth},
		{name: "credential missing terminator", in: "AWS4-HMAC-SHA256 Credential=AKID/20261126/us-east-1/s3, SignedHeaders=host, Signature=" + sig, wantErr: ErrMalformedAuth},
		{name: "credential bad date", in: "AWS4-HMAC-SHA256 Credential=AKID/2026-11-26/us-east-1/s3/aws4_request, SignedHeaders=host, Signature=" + sig, wantErr: ErrMalformedAuth},
		{name: "credential empty region", in: "AWS4-HMAC-SHA256 Credential=AKID/20261126//s3/aws4_request, SignedHeaders=host, Signature=" + sig, wantErr: ErrMalformedAuth},
		{name: "host not signed", in: "AWS4-HMAC-SHA256 Credential=" + cred + ", SignedHeaders=x-amz-date, Signature=" + sig, wantErr: ErrMalformedAuth},
		{name: "unsorted signed headers", in: "AWS4-HMAC-SHA256 Credential=" + cred + ", SignedHeaders=x-amz-date;host, Signature=" + sig, wantErr: ErrMalformedAuth},
		{name: "upper-case signed header", in: "AWS4-HMAC-SHA256 Credential=" + cred + ", SignedHeaders=Host, Signature=" + sig, wantErr: ErrMalformedAuth},
		{name: "empty signed header", in: "AWS4-HMAC-SHA256 Credential=" + cred + ", SignedHeaders=host;;x-amz-date, Signature=" + sig, wantErr: ErrMalformedAuth},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, err := ParseAuthorization(tt.in)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("error = %v, want %v", err, tt.wantErr)
			}
			if err != nil {
				if !errors.Is(err, ErrMalformedAuth) {
					t.Errorf("error %v does not wrap ErrMalformedAuth", err)
				}
				return
			}
			if a.AccessKeyID != "AKID" || a.Date != "20261126" || a.Region != "us-east-1" || a.Service != "s3" {
				t.Errorf("scope = %+v", a)
			}
			if a.Signature != sig {
				t.Errorf("signature = %s", a.Signature)
			}
			if !slices.Equal(a.SignedHeaders, tt.headers) {
				t.Errorf("signed headers = %v, want %v", a.SignedHeaders, tt.headers)
			}
		})
	}
}

func TestParsePresign(t *testing.T) {
	base := func() map[string][]string {
		return map[string][]string{
			"X-Amz-Algorithm":     {Algorithm},
			"X-Amz-Credential":    {"AKID/20261126/us-east-1/s3/aws4_request"},
			"X-Amz-Date":          {"20261126T123456Z"},
			"X-Amz-Expires":       {"900"},
			"X-Amz-SignedHeaders": {"host"},
			"X-Amz-Signature":     {emptySHA256},
		}
	}
	tests := []struct {
		name   string
		change func(q map[string][]string)
		want   error
	}{
		{name: "valid", change: func(map[string][]string) {}},
		{name: "seven days", change: func(q map[string][]string) { q["X-Amz-Expires"] = []string{"604800"} }},
		{name: "over seven days", change: func(q map[string][]string) { q["X-Amz-Expires"] = []string{"604801"} }, want: ErrMalformedAuth},
		{name: "zero expiry", change: func(q map[string][]string) { q["X-Amz-Expires"] = []string{"0"} }, want: ErrMalformedAuth},
		{name: "non-numeric expiry", change: func(q map[string][]string) { q["X-Amz-Expires"] = []string{"1h"} }, want: ErrMalformedAuth},
		{name: "missing date", change: func(q map[string][]string) { delete(q, "X-Amz-Date") }, want: ErrMalformedAuth},
		{name: "duplicate signature", change: func(q map[string][]string) { q["X-Amz-Signature"] = append(q["X-Amz-Signature"], emptySHA256) }, want: ErrMalformedAuth},
		{name: "sigv4a", change: func(q map[string][]string) { q["X-Amz-Algorithm"] = []string{"AWS4-ECDSA-P256-SHA256"} }, want: ErrUnsupportedAlgorithm},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			q := base()
			tt.change(q)
			p, err := parsePresign(q)
			if !errors.Is(err, tt.want) {
				t.Fatalf("error = %v, want %v", err, tt.want)
			}
			if err == nil && (p.auth.AccessKeyID != "AKID" || p.date != "20261126T123456Z") {
				t.Errorf("parsed = %+v", p)
			}
		})
	}
}
