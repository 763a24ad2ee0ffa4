package sigv4

import (
	"net/url"
	"strings"
	"testing"
)

func TestStripPresign(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"empty", "", ""},
		{"presigned get", "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKID%2F20261126%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Date=20261126T000000Z&X-Amz-Expires=60&X-Amz-SignedHeaders=host&X-Amz-Signature=abc&X-Amz-Security-Token=t&versionId=v%201", "versionId=v%201"},
		{"keeps hoisted headers", "x-amz-server-side-encryption=AES256&X-Amz-Signature=s", "x-amz-server-side-encryption=AES256"},
		{"escaped names", "X%2DAmz%2DSignature=s&a=1", "a=1"},
		{"keeps order and spelling", "b=%41&a&X-Amz-Date=x&c=", "b=%41&a&c="},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := StripPresign(tc.in); got != tc.want {
				t.Fatalf("StripPresign(%q) = %q, want %q", tc.in, got, tc.want)
			}
		})
	}
}

func FuzzStripPresign(f *testing.F) {
	f.Add("a=1&X-Amz-Signature=x&b=%41")
	f.Add("X-Amz-Credential=%zz&&=")
	f.Fuzz(func(t *testing.T, raw string) {
		q, _ := url.ParseQuery(StripPresign(raw))
		for k := range q {
			if presignQuery[strings.ToLower(k)] {
				t.Fatalf("%q kept presign parameter %q", raw, k)
			}
		}
	})
}
