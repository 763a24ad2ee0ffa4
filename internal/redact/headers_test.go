package redact

import (
	"net/http"
	"slices"
	"testing"
)

func TestFixHeaders(t *testing.T) {
	body := []byte("123456789") // CRC-32/IEEE check value 0xCBF43926
	tests := []struct {
		name string
		in   http.Header
		want http.Header
	}{
		{
			name: "dynamodb crc recomputed",
			in:   http.Header{"Content-Length": {"500"}, "X-Amz-Crc32": {"42"}, "Content-Type": {"application/x-amz-json-1.0"}},
			want: http.Header{"Content-Length": {"9"}, "X-Amz-Crc32": {"3421780262"}, "Content-Type": {"application/x-amz-json-1.0"}},
		},
		{
			name: "no crc header, none added",
			in:   http.Header{"Content-Length": {"500"}, "Content-Type": {"text/xml"}},
			want: http.Header{"Content-Length": {"9"}, "Content-Type": {"text/xml"}},
		},
		{
			name: "checksums and md5 dropped, etag kept",
			in: http.Header{
				"X-Amz-Checksum-Crc32":  {"AAAA"},
				"X-Amz-Checksum-Sha256": {"BBBB"},
				"X-Amz-Checksum-Type":   {"FULL_OBJECT"},
				"Content-Md5":           {"CCCC"},
				"Etag":                  {`"abc"`},
				"Transfer-Encoding":     {"chunked"},
			},
			want: http.Header{"Content-Length": {"9"}, "Etag": {`"abc"`}},
		},
		{
			name: "non-canonical keys",
			in:   http.Header{"x-amz-crc32": {"1"}, "content-length": {"3"}, "x-amz-checksum-crc32c": {"x"}, "content-md5": {"y"}},
			want: http.Header{"Content-Length": {"9"}, "X-Amz-Crc32": {"3421780262"}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			FixHeaders(tt.in, body)
			if len(tt.in) != len(tt.want) {
				t.Errorf("headers = %v, want %v", tt.in, tt.want)
			}
			for k, v := range tt.want {
				if !slices.Equal(tt.in[k], v) {
					t.Errorf("%s = %q, want %q (all: %v)", k, tt.in[k], v, tt.in)
				}
			}
		})
	}
}
