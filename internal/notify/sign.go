package notify

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Header names set on every delivery.
const (
	// HeaderEvent names the event: hold.opened, hold.justified,
	// approval.given, hold.approved, hold.denied or hold.expired.
	HeaderEvent = "X-Jitgate-Event"
	// HeaderDelivery is the notification's id, the same on every retry and
	// on a redelivery of the same event: receivers dedupe on it.
	HeaderDelivery = "X-Jitgate-Delivery"
	// HeaderTimestamp is the attempt's time in unix seconds. It is signed,
	// and each attempt sends a fresh one.
	HeaderTimestamp = "X-Jitgate-Timestamp"
	// HeaderSignature is "sha256=" and the hex HMAC-SHA256, keyed with the
	// shared secret, of the timestamp, a ".", and the raw body.
	HeaderSignature = "X-Jitgate-Signature"

	signaturePrefix = "sha256="
)

// DefaultTolerance is the timestamp window CheckTimestamp callers should use
// unless they have a reason not to.
const DefaultTolerance = 5 * time.Minute

// Sign returns the X-Jitgate-Signature value for body sent at timestamp
// (unix seconds, as in X-Jitgate-Timestamp).
func Sign(secret []byte, timestamp string, body []byte) string {
	return signaturePrefix + hex.EncodeToString(mac(secret, timestamp, body))
}

func mac(secret []byte, timestamp string, body []byte) []byte {
	h := hmac.New(sha256.New, secret)
	h.Write([]byte(timestamp))
	h.Write([]byte{'.'})
	h.Write(body)
	return h.Sum(nil)
}

// Verify checks a delivery's signature: header is the X-Jitgate-Signature
// value, timestamp the X-Jitgate-Timestamp value, body the raw request body
// exactly as received (before any JSON decoding). It compares in constant
// time and returns ErrBadSignature on any mismatch.
//
// Verify proves who sent the body; it does not stop a captured delivery
// being sent again. Call CheckTimestamp too, and dedupe on X-Jitgate-Delivery.
func Verify(secret []byte, timestamp string, body []byte, header string) error {
	hexSig, ok := strings.CutPrefix(strings.TrimSpace(header), signaturePrefix)
	if !ok {
		return fmt.Errorf("%w: header must start with %q", ErrBadSignature, signaturePrefix)
	}
	got, err := hex.DecodeString(hexSig)
	if err != nil || len(got) != sha256.Size {
		return fmt.Errorf("%w: header is not a hex SHA-256 HMAC", ErrBadSignature)
	}
	if !hmac.Equal(got, mac(secret, timestamp, body)) {
		return ErrBadSignature
	}
	return nil
}

// CheckTimestamp rejects a delivery whose X-Jitgate-Timestamp is malformed
// or further than tolerance from now, in either direction. Because the
// timestamp is signed, an attacker who captured a delivery cannot refresh
// it: replays fail once the window has passed.
func CheckTimestamp(timestamp string, now time.Time, tolerance time.Duration) error {
	sec, err := strconv.ParseInt(timestamp, 10, 64)
	if err != nil {
		return fmt.Errorf("%w: not unix seconds", ErrStaleTimestamp)
	}
	d := now.Sub(time.Unix(sec, 0))
	if d > tolerance || d < -tolerance {
		return fmt.Errorf("%w: %s away from now, tolerance %s", ErrStaleTimestamp, d.Round(time.Second), tolerance)
	}
	return nil
}
