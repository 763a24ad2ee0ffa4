package session

import (
	"crypto/rand"
	"encoding/base32"
	"encoding/base64"
	"strings"
)

// AccessKeyIDPrefix starts every jitgate access key id. It looks like AWS's
// temporary-credential prefix "ASIA" but is distinct, so a jitgate key can
// never be mistaken for a real AWS one.
const AccessKeyIDPrefix = "JGIA"

const (
	// AccessKeyIDLen is the length of an access key id, as AWS's.
	AccessKeyIDLen = 20
	// SecretAccessKeyLen is the length of a secret access key, as AWS's.
	SecretAccessKeyLen = 40
)

// IsAccessKeyID reports whether id has the shape of a jitgate access key id.
// The ingress can use it to reject foreign keys before opening a token.
func IsAccessKeyID(id string) bool {
	if len(id) != AccessKeyIDLen || !strings.HasPrefix(id, AccessKeyIDPrefix) {
		return false
	}
	for _, c := range id[len(AccessKeyIDPrefix):] {
		if !(c >= 'A' && c <= 'Z' || c >= '2' && c <= '7') {
			return false
		}
	}
	return true
}

// newAccessKeyID returns "JGIA" and 16 base32 characters (80 random bits).
func newAccessKeyID() string {
	var b [10]byte
	rand.Read(b[:]) // never fails (crypto/rand panics on an unusable source)
	return AccessKeyIDPrefix + base32.StdEncoding.EncodeToString(b[:])
}

// newSecret returns 40 base64 characters (240 random bits), like an AWS secret.
func newSecret() string {
	var b [30]byte
	rand.Read(b[:])
	return base64.StdEncoding.EncodeToString(b[:])
}
