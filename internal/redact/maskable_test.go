package redact

import "testing"

func TestMaskable(t *testing.T) {
	tests := []struct {
		name, ct, ce, svc, op string
		want                  bool
	}{
		{"dynamodb json", "application/x-amz-json-1.0", "", "dynamodb", "Scan", true},
		{"sts xml", "text/xml", "", "sts", "AssumeRole", true},
		{"cbor", "application/cbor", "", "monitoring", "GetMetricData", true},
		{"s3 object even if json", "application/json", "", "s3", "GetObject", false},
		{"s3 object keeps its stored encoding", "application/octet-stream", "gzip", "s3", "GetObject", false},
		{"binary", "application/octet-stream", "", "lambda", "Invoke", false},
		{"identity is no encoding", "application/octet-stream", "identity", "lambda", "Invoke", false},
		{"encoded binary is read whole", "application/octet-stream", "gzip", "lambda", "Invoke", true},
		{"unknown encoding is read whole", "application/octet-stream", "br", "polly", "SynthesizeSpeech", true},
		{"no content type fails closed", "", "", "s3", "ListBuckets", true},
		{"parameters only fails closed", "; charset=utf-8", "", "s3", "ListBuckets", true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := Maskable(tc.ct, tc.ce, tc.svc, tc.op); got != tc.want {
				t.Fatalf("Maskable(%q, %q, %s, %s) = %v", tc.ct, tc.ce, tc.svc, tc.op, got)
			}
		})
	}
}

func TestOpaque(t *testing.T) {
	tests := []struct {
		ct   string
		want bool
	}{
		{"application/octet-stream", true},
		{"application/vnd.amazon.eventstream", true},
		{"", false}, // sniffed
		{"application/json", false},
		{"application/cbor", false},
		{"text/xml; charset=utf-8", false},
	}
	for _, tc := range tests {
		t.Run(tc.ct, func(t *testing.T) {
			if got := Opaque(tc.ct); got != tc.want {
				t.Fatalf("Opaque(%q) = %v", tc.ct, got)
			}
		})
	}
}
