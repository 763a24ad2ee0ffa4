package redact

import (
	"bytes"
	"compress/flate"
	"compress/gzip"
	"compress/zlib"
	"errors"
	"io"
	"testing"
)

func compress(t *testing.T, coding string, data []byte) []byte {
	t.Helper()
	var b bytes.Buffer
	var w io.WriteCloser
	switch coding {
	case "gzip":
		w = gzip.NewWriter(&b)
	case "zlib":
		w = zlib.NewWriter(&b)
	case "flate":
		w, _ = flate.NewWriter(&b, flate.BestSpeed)
	default:
		t.Fatalf("coding %s", coding)
	}
	if _, err := w.Write(data); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func TestEncoded(t *testing.T) {
	tests := []struct {
		ce   string
		want bool
	}{
		{"", false},
		{"identity", false},
		{" Identity , identity", false},
		{"gzip", true},
		{"identity, br", true},
		{"x-foo", true},
	}
	for _, tt := range tests {
		t.Run(tt.ce, func(t *testing.T) {
			if got := Encoded(tt.ce); got != tt.want {
				t.Fatalf("Encoded(%q) = %v", tt.ce, got)
			}
		})
	}
}

func TestDecode(t *testing.T) {
	plain := []byte(`{"SecretAccessKey":"real-secret"}`)
	gz := compress(t, "gzip", plain)
	tests := []struct {
		name, ce string
		body     []byte
		max      int64
		want     []byte
		err      error
	}{
		{name: "gzip", ce: "gzip", body: gz, want: plain},
		{name: "x-gzip, any case", ce: "X-GZIP", body: gz, want: plain},
		{name: "deflate as HTTP means it (zlib)", ce: "deflate", body: compress(t, "zlib", plain), want: plain},
		{name: "raw deflate", ce: "deflate", body: compress(t, "flate", plain), want: plain},
		{name: "codings undone last first", ce: "deflate, gzip", body: compress(t, "gzip", compress(t, "zlib", plain)), want: plain},
		{name: "identity listed", ce: "identity, gzip", body: gz, want: plain},
		{name: "exactly at the limit", ce: "gzip", body: gz, max: int64(len(plain)), want: plain},
		{name: "br refused", ce: "br", body: plain, err: ErrUnsupportedEncoding},
		{name: "zstd refused", ce: "zstd", body: plain, err: ErrUnsupportedEncoding},
		{name: "unknown refused", ce: "x-foo", body: plain, err: ErrUnsupportedEncoding},
		{name: "unknown after a known one refused", ce: "br, gzip", body: gz, err: ErrUnsupportedEncoding},
		{name: "bomb stops at the limit", ce: "gzip", body: compress(t, "gzip", make([]byte, 1<<20)), max: 1 << 10, err: ErrDecodedTooLarge},
		{name: "not gzip", ce: "gzip", body: plain, err: ErrInvalidBody},
		{name: "truncated gzip", ce: "gzip", body: gz[:len(gz)-6], err: ErrInvalidBody},
		{name: "gzip then garbage", ce: "gzip", body: append(bytes.Clone(gz), "junk"...), err: ErrInvalidBody},
		{name: "corrupt deflate", ce: "deflate", body: []byte{0xff, 0xff, 0xff}, err: ErrInvalidBody},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			max := tt.max
			if max == 0 {
				max = 1 << 20
			}
			got, err := Decode(tt.ce, tt.body, max)
			if tt.err != nil {
				if !errors.Is(err, tt.err) || got != nil {
					t.Fatalf("Decode = %q, %v; want error %v", got, err, tt.err)
				}
				return
			}
			if err != nil || !bytes.Equal(got, tt.want) {
				t.Fatalf("Decode = %q, %v; want %q", got, err, tt.want)
			}
		})
	}
}
