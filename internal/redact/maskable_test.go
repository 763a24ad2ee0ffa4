package redact

import "testing"

func TestMaskable(t *testing.T) {
	tests := []struct {
		name, ct, svc, op string
		want              bool
	}{
		{"dynamodb json", "application/x-amz-json-1.0", "dynamodb", "Scan", true},
		{"sts xml", "text/xml", "sts", "AssumeRole", true},
		{"s3 object even if json", "application/json", "s3", "GetObject", false},
		{"binary", "application/octet-stream", "lambda", "Invoke", false},
		{"no content type fails closed", "", "s3", "ListBuckets", true},
		{"parameters only fails closed", "; charset=utf-8", "s3", "ListBuckets", true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := Maskable(tc.ct, tc.svc, tc.op); got != tc.want {
				t.Fatalf("Maskable(%q, %s, %s) = %v", tc.ct, tc.svc, tc.op, got)
			}
		})
	}
}
