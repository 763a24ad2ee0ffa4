package sigv4

import (
	"encoding/binary"
	"errors"
	"net/http"
	"reflect"
	"testing"
)

func TestDecodeAWSChunked(t *testing.T) {
	sig := emptySHA256
	tests := []struct {
		name     string
		body     string
		payload  string
		trailers http.Header
		wantErr  error
	}{
		{name: "botocore style with crc32 trailer", body: "3\r\nabc\r\n0\r\nx-amz-checksum-crc32:NSRBwg==\r\n\r\n", payload: "abc", trailers: http.Header{"X-Amz-Checksum-Crc32": {"NSRBwg=="}}},
		{name: "several chunks no trailers", body: "2\r\nab\r\n1\r\nc\r\n0\r\n\r\n", payload: "abc", trailers: http.Header{}},
		{name: "ends right after the last chunk", body: "1\r\na\r\n0\r\n", payload: "a", trailers: http.Header{}},
		{name: "empty payload", body: "0\r\n\r\n", payload: "", trailers: http.Header{}},
		{name: "upper-case hex size", body: "A\r\n0123456789\r\n0\r\n\r\n", payload: "0123456789", trailers: http.Header{}},
		{name: "signed chunks, signature not returned", body: "1;chunk-signature=" + sig + "\r\na\r\n0;chunk-signature=" + sig + "\r\nx-amz-checksum-crc32c:AAAAAA==\r\nx-amz-trailer-signature:" + sig + "\r\n\r\n", payload: "a", trailers: http.Header{"X-Amz-Checksum-Crc32c": {"AAAAAA=="}}},
		{name: "trailer value trimmed", body: "0\r\nx-amz-checksum-sha1 :  abc= \r\n\r\n", payload: "", trailers: http.Header{"X-Amz-Checksum-Sha1": {"abc="}}},
		{name: "empty body", body: "", wantErr: ErrMalformedChunkedBody},
		{name: "no CRLF after size", body: "3", wantErr: ErrMalformedChunkedBody},
		{name: "size not hex", body: "xyz\r\nabc\r\n0\r\n\r\n", wantErr: ErrMalformedChunkedBody},
		{name: "size too big for body", body: "ff\r\nabc\r\n0\r\n\r\n", wantErr: ErrMalformedChunkedBody},
		{name: "size overflows", body: "ffffffffffffffffff\r\n", wantErr: ErrMalformedChunkedBody},
		{name: "data not followed by CRLF", body: "2\r\nabc\r\n0\r\n\r\n", wantErr: ErrMalformedChunkedBody},
		{name: "bad chunk signature", body: "1;chunk-signature=xyz\r\na\r\n0\r\n\r\n", wantErr: ErrMalformedChunkedBody},
		{name: "trailer without colon", body: "0\r\nnocolon\r\n\r\n", wantErr: ErrMalformedChunkedBody},
		{name: "trailers not terminated", body: "0\r\nx-amz-checksum-crc32:NSRBwg==\r\n", wantErr: ErrMalformedChunkedBody},
		{name: "bytes after trailers", body: "0\r\n\r\nextra", wantErr: ErrMalformedChunkedBody},
		{name: "trailer after trailer signature", body: "0\r\nx-amz-trailer-signature:" + sig + "\r\na:b\r\n\r\n", wantErr: ErrMalformedChunkedBody},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			payload, trailers, err := DecodeAWSChunked([]byte(tt.body))
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("error = %v, want %v", err, tt.wantErr)
			}
			if err != nil {
				return
			}
			if string(payload) != tt.payload {
				t.Errorf("payload = %q, want %q", payload, tt.payload)
			}
			if !reflect.DeepEqual(trailers, tt.trailers) {
				t.Errorf("trailers = %v, want %v", trailers, tt.trailers)
			}
		})
	}
}

func TestChecksums(t *testing.T) {
	// Check values of "123456789" for each CRC (from the CRC catalogue).
	check := []byte("123456789")
	tests := []struct {
		alg  string
		want uint64
	}{
		{"crc32", 0xCBF43926},
		{"crc32c", 0xE3069283},
		{"crc64nvme", 0xAE8B14860A799888},
	}
	for _, tt := range tests {
		t.Run(tt.alg, func(t *testing.T) {
			sum, ok := checksumOf(tt.alg, check)
			if !ok {
				t.Fatal("unknown algorithm")
			}
			var got uint64
			if len(sum) == 4 {
				got = uint64(binary.BigEndian.Uint32(sum))
			} else {
				got = binary.BigEndian.Uint64(sum)
			}
			if got != tt.want {
				t.Errorf("%s = %#x, want %#x", tt.alg, got, tt.want)
			}
		})
	}
	if _, ok := checksumOf("md5", check); ok {
		t.Error("md5 should be unknown")
	}
}

func TestVerifyTrailers(t *testing.T) {
	abc := []byte("abc")
	tests := []struct {
		name     string
		trailers []trailerField
		declared string
		want     error
	}{
		{name: "crc32 ok", trailers: []trailerField{{"x-amz-checksum-crc32", "NSRBwg=="}}, declared: "x-amz-checksum-crc32"},
		{name: "sha256 ok", trailers: []trailerField{{"x-amz-checksum-sha256", "ungWv48Bz+pBQUDeXa4iI7ADYaOWF3qctBD/YfIAFa0="}}, declared: "X-Amz-Checksum-Sha256"},
		{name: "crc32 wrong", trailers: []trailerField{{"x-amz-checksum-crc32", "AAAAAA=="}}, declared: "x-amz-checksum-crc32", want: ErrChecksumMismatch},
		{name: "not base64", trailers: []trailerField{{"x-amz-checksum-crc32", "!!"}}, declared: "x-amz-checksum-crc32", want: ErrChecksumMismatch},
		// A checksum must be declared so that it can be computed while the
		// body streams.
		{name: "undeclared checksum", trailers: []trailerField{{"x-amz-checksum-sha256", "ungWv48Bz+pBQUDeXa4iI7ADYaOWF3qctBD/YfIAFa0="}}, want: ErrMalformedChunkedBody},
		{name: "unknown algorithm ignored", trailers: []trailerField{{"x-amz-checksum-md7", "xx"}}},
		{name: "declared but missing", declared: "x-amz-checksum-crc32c", want: ErrMalformedChunkedBody},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := verifyTrailers(abc, tt.trailers, tt.declared); !errors.Is(err, tt.want) {
				t.Errorf("error = %v, want %v", err, tt.want)
			}
		})
	}
}
