// Package ids makes the identifiers jitgate hands out: request, event,
// grant and replica ids.
package ids

import (
	"crypto/rand"
	"fmt"
	"os"
)

// New returns a random RFC 4122 version-4 UUID, the shape AWS request ids
// have, so agents' SDKs log it like any other request id.
func New() string {
	var b [16]byte
	rand.Read(b[:]) // never fails (crypto/rand panics rather than return short)
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

// Replica returns a default replica name for role: host name and pid, unique
// among processes on one machine and readable in logs.
func Replica(role string) string {
	host, err := os.Hostname()
	if err != nil || host == "" {
		host = "host"
	}
	return fmt.Sprintf("%s-%s-%d", role, host, os.Getpid())
}
