package notify

import (
	"encoding/json"
	"strings"
	"testing"
	"time"
)

func FuzzVerify(f *testing.F) {
	body := []byte(`{"event":"hold.opened"}`)
	f.Add("1777629600", body, Sign(testSecret, "1777629600", body))
	f.Add("", []byte{}, "sha256=")
	f.Add("1", []byte("x"), "sha256=zz")
	f.Fuzz(func(t *testing.T, ts string, body []byte, header string) {
		err := Verify(testSecret, ts, body, header)
		// Only the real signature (in either hex case) may verify.
		if err == nil && !strings.EqualFold(strings.TrimSpace(header), Sign(testSecret, ts, body)) {
			t.Fatalf("forged header %q verified", header)
		}
		if Verify(testSecret, ts, body, Sign(testSecret, ts, body)) != nil {
			t.Fatal("own signature does not verify")
		}
	})
}

func FuzzRetryAfter(f *testing.F) {
	for _, s := range []string{"", "3", "-1", "Fri, 01 May 2026 10:01:30 GMT", "99999999999999999999"} {
		f.Add(s)
	}
	now := time.Date(2026, 5, 1, 10, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, v string) {
		if d := retryAfter(v, now); d < 0 || d > maxRetryAfter {
			t.Fatalf("retryAfter(%q) = %v, out of [0, %v]", v, d, maxRetryAfter)
		}
	})
}

func FuzzSummarizeParams(f *testing.F) {
	f.Add([]byte(`{"Bucket":"b","Key":"k","Body":"secret"}`))
	f.Add([]byte(`{"InstanceIds":["i-1"],"TableName":{"x":1}}`))
	f.Add([]byte(`null`))
	f.Fuzz(func(t *testing.T, raw []byte) {
		names, res := summarizeParams(json.RawMessage(raw))
		if len(names) > maxParamNames+1 {
			t.Fatalf("%d names", len(names))
		}
		for k, v := range res {
			if !isResource(k) {
				t.Fatalf("value of non-resource parameter %q shown", k)
			}
			if len(v) > maxResourceLen+len("…") {
				t.Fatalf("resource %q of %d bytes", k, len(v))
			}
		}
	})
}
