package session

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"os"
	"strings"
)

// GenerateKey returns a new random 32-byte sealing key.
func GenerateKey() []byte {
	k := make([]byte, KeyLen)
	rand.Read(k) // never fails
	return k
}

// EncodeKey returns k in hex, the form ParseKey reads first.
func EncodeKey(k []byte) string { return hex.EncodeToString(k) }

// ParseKey decodes one 32-byte key written as 64 hex characters or as
// base64 (standard or URL alphabet, padded or not).
func ParseKey(s string) ([]byte, error) {
	s = strings.TrimSpace(s)
	if len(s) == 2*KeyLen {
		if k, err := hex.DecodeString(s); err == nil {
			return k, nil
		}
	}
	t := strings.TrimRight(s, "=")
	for _, enc := range []*base64.Encoding{base64.RawStdEncoding, base64.RawURLEncoding} {
		if k, err := enc.DecodeString(t); err == nil && len(k) == KeyLen {
			return k, nil
		}
	}
	return nil, fmt.Errorf("%w: got %d characters", ErrInvalidKey, len(s))
}

// ParseKeys decodes a list of keys separated by commas, spaces or newlines;
// lines starting with '#' are comments. The first key is the one that seals.
func ParseKeys(s string) ([][]byte, error) {
	var keys [][]byte
	for line := range strings.Lines(s) {
		line = strings.TrimSpace(line)
		if strings.HasPrefix(line, "#") {
			continue
		}
		for _, f := range strings.FieldsFunc(line, func(r rune) bool { return r == ',' || r == ' ' || r == '\t' }) {
			k, err := ParseKey(f)
			if err != nil {
				return nil, fmt.Errorf("key %d: %w", len(keys), err)
			}
			keys = append(keys, k)
		}
	}
	if len(keys) == 0 {
		return nil, fmt.Errorf("%w: no key found", ErrInvalidKey)
	}
	return keys, nil
}

// ReadKeyFile reads keys from a file in the format ParseKeys accepts.
func ReadKeyFile(path string) ([][]byte, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalidKey, err)
	}
	keys, err := ParseKeys(string(b))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return keys, nil
}
