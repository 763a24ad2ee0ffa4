package main

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/jitgate/jitgate/internal/api"
)

// TestPrintHoldShowsPinnedParams: `jitgate show` prints every parameter,
// nested ones included, and what a grant would pin.
func TestPrintHoldShowsPinnedParams(t *testing.T) {
	h := api.Hold{ID: "r1", State: "pending", Service: "s3", Operation: "DeleteObjects", Expires: time.Now(),
		Params:     json.RawMessage(`{"Bucket":"logs","Delete":{"Object":[{"Key":"a"},{"Key":"b"}]}}`),
		GrantScope: "call", GrantFor: "15m0s",
		GrantPin: json.RawMessage(`{"body":{"sha256":"ab12","size":46},"params":{"Bucket":"logs"},"region":"eu-west-1"}`)}
	var b bytes.Buffer
	if err := printHold(&b, h); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	for _, want := range []string{`"Key": "a"`, `"Key": "b"`, "grant pins", `"sha256": "ab12"`, `"size": 46`} {
		if !strings.Contains(out, want) {
			t.Errorf("show output lacks %q:\n%s", want, out)
		}
	}
	if got := clip(compactJSON(h.Params), 30); len([]rune(got)) != 30 || !strings.HasSuffix(got, "…") {
		t.Errorf("clip = %q", got)
	}
}
