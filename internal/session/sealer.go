package session

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strings"
	"time"
)

const (
	// tokenVersion is the first byte of every token and its AAD.
	tokenVersion byte = 1
	// KeyLen is the length of a sealing key in bytes.
	KeyLen = 32
	// MaxTokenLen bounds an encoded token. Open rejects longer input before
	// decoding it; Issue refuses to produce one.
	MaxTokenLen = 16 << 10
	nonceLen    = 12
)

// Sealer seals sessions into tokens and opens them. It is safe for
// concurrent use.
type Sealer struct {
	aeads []cipher.AEAD // aeads[0] seals; all open
}

// NewSealer returns a Sealer for one or more 32-byte keys. The first key
// seals; every key opens, so a key can be rotated without invalidating
// sessions sealed with the previous one.
func NewSealer(keys ...[]byte) (*Sealer, error) {
	if len(keys) == 0 {
		return nil, fmt.Errorf("%w: no key given", ErrInvalidKey)
	}
	s := &Sealer{aeads: make([]cipher.AEAD, 0, len(keys))}
	for i, k := range keys {
		if len(k) != KeyLen {
			return nil, fmt.Errorf("%w: key %d has %d bytes", ErrInvalidKey, i, len(k))
		}
		block, err := aes.NewCipher(k)
		if err != nil {
			return nil, fmt.Errorf("%w: key %d: %w", ErrInvalidKey, i, err)
		}
		aead, err := cipher.NewGCM(block)
		if err != nil {
			return nil, fmt.Errorf("%w: key %d: %w", ErrInvalidKey, i, err)
		}
		s.aeads = append(s.aeads, aead)
	}
	return s, nil
}

// Issue mints fresh credentials for p that expire ttl after now, and seals
// them into a token. Times are truncated to the second, so the returned
// Session equals what Open later returns.
func (s *Sealer) Issue(p Principal, roleARN, sessionName string, ttl time.Duration, now time.Time) (Session, string, error) {
	if ttl <= 0 {
		return Session{}, "", fmt.Errorf("%w: %v", ErrInvalidTTL, ttl)
	}
	issued := now.UTC().Truncate(time.Second)
	sess := Session{
		Principal:       p,
		AccessKeyID:     newAccessKeyID(),
		SecretAccessKey: newSecret(),
		RoleARN:         roleARN,
		SessionName:     sessionName,
		IssuedAt:        issued,
		Expires:         issued.Add(ttl.Truncate(time.Second)),
	}
	if !sess.Expires.After(issued) {
		return Session{}, "", fmt.Errorf("%w: %v is under a second", ErrInvalidTTL, ttl)
	}
	plain, err := json.Marshal(sess.sealed())
	if err != nil {
		return Session{}, "", fmt.Errorf("session: encode: %w", err)
	}
	token := s.seal(plain)
	if len(token) > MaxTokenLen {
		return Session{}, "", fmt.Errorf("%w: %d bytes, limit %d", ErrTokenTooLarge, len(token), MaxTokenLen)
	}
	return sess, token, nil
}

func (s *Sealer) seal(plain []byte) string {
	aead := s.aeads[0]
	out := make([]byte, 1+nonceLen, 1+nonceLen+len(plain)+aead.Overhead())
	out[0] = tokenVersion
	rand.Read(out[1 : 1+nonceLen]) // never fails
	out = aead.Seal(out, out[1:1+nonceLen], plain, out[:1])
	return base64.RawURLEncoding.EncodeToString(out)
}

// Open verifies token, checks that it was issued to accessKeyID and has not
// expired at now, and returns the session sealed in it. It returns
// ErrInvalidToken, ErrKeyMismatch or ErrExpired; the errors never contain
// the token.
func (s *Sealer) Open(accessKeyID, token string, now time.Time) (Session, error) {
	plain, err := s.open(token)
	if err != nil {
		return Session{}, err
	}
	var p sealed
	if err := json.Unmarshal(plain, &p); err != nil {
		// Authenticated but undecodable: a bug on the sealing side, not an attack.
		return Session{}, fmt.Errorf("%w: sealed payload does not decode", ErrInvalidToken)
	}
	if subtle.ConstantTimeCompare([]byte(accessKeyID), []byte(p.AccessKeyID)) != 1 {
		return Session{}, ErrKeyMismatch
	}
	sess := p.session()
	if !now.Before(sess.Expires) {
		return Session{}, fmt.Errorf("%w (at %s)", ErrExpired, sess.Expires.Format(time.RFC3339))
	}
	return sess, nil
}

func (s *Sealer) open(token string) ([]byte, error) {
	if len(token) > MaxTokenLen {
		return nil, fmt.Errorf("%w: longer than %d bytes", ErrInvalidToken, MaxTokenLen)
	}
	raw, err := decodeToken(token)
	if err != nil {
		return nil, fmt.Errorf("%w: not base64", ErrInvalidToken)
	}
	if len(raw) < 1+nonceLen+s.aeads[0].Overhead() {
		return nil, fmt.Errorf("%w: too short", ErrInvalidToken)
	}
	if raw[0] != tokenVersion {
		return nil, fmt.Errorf("%w: unknown version %d", ErrInvalidToken, raw[0])
	}
	nonce, box := raw[1:1+nonceLen], raw[1+nonceLen:]
	for _, aead := range s.aeads {
		if plain, err := aead.Open(nil, nonce, box, raw[:1]); err == nil {
			return plain, nil
		}
	}
	return nil, fmt.Errorf("%w: not sealed by any configured key", ErrInvalidToken)
}

// decodeToken accepts the base64url form Issue produces and, for clients or
// proxies that re-encode it, padded base64url and standard base64.
func decodeToken(token string) ([]byte, error) {
	t := strings.TrimRight(token, "=")
	if strings.ContainsAny(t, "+/") {
		return base64.RawStdEncoding.DecodeString(t)
	}
	return base64.RawURLEncoding.DecodeString(t)
}
