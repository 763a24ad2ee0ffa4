package awsmodel

import (
	"errors"
	"testing"
)

// TestCBORTags: the tags rpc-v2-cbor SDKs send are read; every other tag,
// wherever it stands, is refused, since the decoder and servers treat
// them differently (kept as an object, lost as {}, or silently dropped).
func TestCBORTags(t *testing.T) {
	ix := mustLoad(t)
	tests := []struct {
		name string
		body string
		err  error
	}{
		{"no tags", "\xa1\x69Namespace\x61x", nil},
		{"timestamp on a value", "\xa1\x69StartTime\xc1\x1a\x5f\x00\x00\x00", nil},
		{"timestamp in a nested list", "\xa2\x69Namespace\x61x\x6aDimensions\x81\xa1\x64Name\xc1\x01", nil},
		{"self-described body", "\xd9\xd9\xf7\xa1\x69Namespace\x61x", nil},
		{"indefinite map and string", "\xbf\x69Namespace\x7f\x61a\x61b\xff\xff", nil},
		{"unknown tag on a string", "\xa1\x69Namespace\xd8\x20\x61x", ErrAmbiguousRequest},
		{"bignum", "\xa1\x6aMaxRecords\xc2\x42\x13\x88", ErrAmbiguousRequest},
		{"tag on a key", "\xa1\xd8\x20\x69Namespace\x61x", ErrAmbiguousRequest},
		{"timestamp tag on a key", "\xa1\xc1\x69Namespace\x61x", ErrMalformedRequest}, // the decoder refuses it first
		{"tag on the body map", "\xd8\x20\xa1\x69Namespace\x61x", ErrAmbiguousRequest},
		{"tag inside an indefinite map", "\xbf\x69Namespace\xd8\x20\x61x\xff", ErrAmbiguousRequest},
		{"self-described tag inside", "\xa1\x69Namespace\xd9\xd9\xf7\x61x", ErrAmbiguousRequest},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := req("POST", cborPath, tt.body, smithy)
			op, err := ix.Identify(r, []byte(tt.body), Hint{SigningName: "monitoring"})
			if tt.err == nil {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				if op.Name != "ListMetrics" {
					t.Fatalf("identified as %s", op.Name)
				}
				return
			}
			if !errors.Is(err, tt.err) {
				t.Fatalf("err = %v (op %+v), want %v", err, op, tt.err)
			}
		})
	}
}
