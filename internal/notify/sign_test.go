package notify

import (
	"errors"
	"strconv"
	"testing"
	"time"
)

func TestVerify(t *testing.T) {
	body := []byte(`{"event":"hold.opened"}`)
	ts := "1777629600"
	good := Sign(testSecret, ts, body)
	tests := []struct {
		name   string
		secret []byte
		ts     string
		body   []byte
		header string
		ok     bool
	}{
		{"valid", testSecret, ts, body, good, true},
		{"valid with surrounding space", testSecret, ts, body, " " + good + " ", true},
		{"wrong secret", []byte("another-secret-of-some-length"), ts, body, good, false},
		{"body changed", testSecret, ts, []byte(`{"event":"hold.denied"}`), good, false},
		{"timestamp changed", testSecret, "1777629601", body, good, false},
		{"no prefix", testSecret, ts, body, good[len("sha256="):], false},
		{"other algorithm", testSecret, ts, body, "sha1=" + good[len("sha256="):], false},
		{"not hex", testSecret, ts, body, "sha256=zz", false},
		{"truncated", testSecret, ts, body, good[:len(good)-2], false},
		{"empty", testSecret, ts, body, "", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := Verify(tc.secret, tc.ts, tc.body, tc.header)
			if tc.ok && err != nil {
				t.Fatalf("Verify: %v", err)
			}
			if !tc.ok && !errors.Is(err, ErrBadSignature) {
				t.Fatalf("Verify = %v, want ErrBadSignature", err)
			}
		})
	}
}

func TestSignIsTimestampDotBody(t *testing.T) {
	// The signed string is "<timestamp>.<body>": moving the dot must matter.
	if Sign(testSecret, "12", []byte("3.x")) == Sign(testSecret, "123", []byte(".x")) {
		t.Fatal("different timestamp/body splits signed alike")
	}
}

func TestCheckTimestamp(t *testing.T) {
	now := time.Unix(1_777_629_600, 0)
	unix := func(d time.Duration) string { return strconv.FormatInt(now.Add(d).Unix(), 10) }
	tests := []struct {
		name string
		ts   string
		ok   bool
	}{
		{"now", unix(0), true},
		{"a minute old", unix(-time.Minute), true},
		{"slightly ahead", unix(30 * time.Second), true},
		{"too old", unix(-6 * time.Minute), false},
		{"too far ahead", unix(6 * time.Minute), false},
		{"not a number", "yesterday", false},
		{"empty", "", false},
		{"huge", "99999999999999999999", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := CheckTimestamp(tc.ts, now, DefaultTolerance)
			if tc.ok && err != nil {
				t.Fatalf("CheckTimestamp: %v", err)
			}
			if !tc.ok && !errors.Is(err, ErrStaleTimestamp) {
				t.Fatalf("CheckTimestamp = %v, want ErrStaleTimestamp", err)
			}
		})
	}
}
