package session

import (
	"encoding/base64"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"
)

var t0 = time.Date(2026, 3, 1, 12, 0, 0, 500, time.UTC)

func testPrincipal() Principal {
	return Principal{
		Subject: "system:serviceaccount:ci:agent",
		Issuer:  "https://issuer.example",
		Groups:  []string{"agents", "ci"},
		Claims:  map[string]string{"email": "agent@example.com"},
	}
}

func mustSealer(t *testing.T, keys ...[]byte) *Sealer {
	t.Helper()
	s, err := NewSealer(keys...)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestIssueOpenRoundTrip(t *testing.T) {
	s := mustSealer(t, GenerateKey())
	sess, token, err := s.Issue(testPrincipal(), "arn:aws:iam::123456789012:role/reader", "run-42", time.Hour, t0)
	if err != nil {
		t.Fatal(err)
	}
	if !IsAccessKeyID(sess.AccessKeyID) {
		t.Errorf("access key id %q has the wrong shape", sess.AccessKeyID)
	}
	if len(sess.SecretAccessKey) != SecretAccessKeyLen {
		t.Errorf("secret has %d characters, want %d", len(sess.SecretAccessKey), SecretAccessKeyLen)
	}
	if want := t0.Truncate(time.Second).Add(time.Hour); !sess.Expires.Equal(want) {
		t.Errorf("Expires = %v, want %v", sess.Expires, want)
	}
	if strings.Contains(token, sess.SecretAccessKey) || strings.Contains(token, "agents") {
		t.Error("token carries plaintext")
	}
	got, err := s.Open(sess.AccessKeyID, token, t0.Add(59*time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, sess) {
		t.Errorf("Open = %+v\nwant   %+v", got, sess)
	}

	// Two issues never share a key id, secret or token.
	sess2, token2, err := s.Issue(testPrincipal(), sess.RoleARN, sess.SessionName, time.Hour, t0)
	if err != nil {
		t.Fatal(err)
	}
	if sess2.AccessKeyID == sess.AccessKeyID || sess2.SecretAccessKey == sess.SecretAccessKey || token2 == token {
		t.Error("credentials repeated across issues")
	}
}

func TestOpenErrors(t *testing.T) {
	key := GenerateKey()
	s := mustSealer(t, key)
	sess, token, err := s.Issue(testPrincipal(), "arn:aws:iam::123456789012:role/reader", "run-42", time.Hour, t0)
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := base64.RawURLEncoding.DecodeString(token)
	flip := func(i int) string {
		b := append([]byte(nil), raw...)
		b[i] ^= 0x01
		return base64.RawURLEncoding.EncodeToString(b)
	}
	_, foreign, _ := mustSealer(t, GenerateKey()).Issue(testPrincipal(), "r", "n", time.Hour, t0)

	tests := []struct {
		name  string
		akid  string
		token string
		now   time.Time
		want  error
	}{
		{"expired at expiry", sess.AccessKeyID, token, sess.Expires, ErrExpired},
		{"expired later", sess.AccessKeyID, token, sess.Expires.Add(time.Hour), ErrExpired},
		{"wrong access key id", "JGIAAAAAAAAAAAAAAAAA", token, t0, ErrKeyMismatch},
		{"empty access key id", "", token, t0, ErrKeyMismatch},
		{"tampered version", sess.AccessKeyID, flip(0), t0, ErrInvalidToken},
		{"tampered nonce", sess.AccessKeyID, flip(3), t0, ErrInvalidToken},
		{"tampered ciphertext", sess.AccessKeyID, flip(20), t0, ErrInvalidToken},
		{"tampered tag", sess.AccessKeyID, flip(len(raw) - 1), t0, ErrInvalidToken},
		{"truncated", sess.AccessKeyID, token[:len(token)-4], t0, ErrInvalidToken},
		{"short", sess.AccessKeyID, "AQ", t0, ErrInvalidToken},
		{"empty", sess.AccessKeyID, "", t0, ErrInvalidToken},
		{"not base64", sess.AccessKeyID, "!!!!", t0, ErrInvalidToken},
		{"other key", sess.AccessKeyID, foreign, t0, ErrInvalidToken},
		{"too long", sess.AccessKeyID, strings.Repeat("A", MaxTokenLen+1), t0, ErrInvalidToken},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := s.Open(tt.akid, tt.token, tt.now)
			if !errors.Is(err, tt.want) {
				t.Fatalf("Open error = %v, want %v", err, tt.want)
			}
			if !reflect.DeepEqual(got, Session{}) {
				t.Errorf("Open returned a session with an error: %+v", got)
			}
			if strings.Contains(err.Error(), token) || strings.Contains(err.Error(), sess.SecretAccessKey) {
				t.Errorf("error %q leaks the token or secret", err)
			}
		})
	}
}

func TestOpenAcceptsReencodedToken(t *testing.T) {
	s := mustSealer(t, GenerateKey())
	sess, token, err := s.Issue(testPrincipal(), "r", "n", time.Hour, t0)
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := base64.RawURLEncoding.DecodeString(token)
	for name, enc := range map[string]*base64.Encoding{
		"url padded": base64.URLEncoding,
		"std padded": base64.StdEncoding,
		"std raw":    base64.RawStdEncoding,
	} {
		if _, err := s.Open(sess.AccessKeyID, enc.EncodeToString(raw), t0); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
}

func TestKeyRotation(t *testing.T) {
	oldKey, newKey := GenerateKey(), GenerateKey()
	before := mustSealer(t, oldKey)
	during := mustSealer(t, newKey, oldKey)
	after := mustSealer(t, newKey)

	oldSess, oldToken, err := before.Issue(testPrincipal(), "r", "n", time.Hour, t0)
	if err != nil {
		t.Fatal(err)
	}
	newSess, newToken, err := during.Issue(testPrincipal(), "r", "n", time.Hour, t0)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		sealer *Sealer
		sess   Session
		token  string
		want   error
	}{
		{"old token, both keys", during, oldSess, oldToken, nil},
		{"new token, both keys", during, newSess, newToken, nil},
		{"new token, new key only", after, newSess, newToken, nil},
		{"old token, new key only", after, oldSess, oldToken, ErrInvalidToken},
		{"new token, old key only", before, newSess, newToken, ErrInvalidToken},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := tt.sealer.Open(tt.sess.AccessKeyID, tt.token, t0)
			if !errors.Is(err, tt.want) {
				t.Fatalf("Open error = %v, want %v", err, tt.want)
			}
		})
	}
}

func TestIssueErrors(t *testing.T) {
	s := mustSealer(t, GenerateKey())
	big := testPrincipal()
	for i := range 2000 {
		big.Groups = append(big.Groups, strings.Repeat("g", 10)+string(rune('a'+i%26)))
	}
	tests := []struct {
		name string
		p    Principal
		ttl  time.Duration
		want error
	}{
		{"zero ttl", testPrincipal(), 0, ErrInvalidTTL},
		{"negative ttl", testPrincipal(), -time.Hour, ErrInvalidTTL},
		{"sub-second ttl", testPrincipal(), time.Millisecond, ErrInvalidTTL},
		{"too many groups", big, time.Hour, ErrTokenTooLarge},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, _, err := s.Issue(tt.p, "r", "n", tt.ttl, t0); !errors.Is(err, tt.want) {
				t.Fatalf("Issue error = %v, want %v", err, tt.want)
			}
		})
	}
}

func TestNewSealerErrors(t *testing.T) {
	tests := []struct {
		name string
		keys [][]byte
	}{
		{"no keys", nil},
		{"short key", [][]byte{make([]byte, 16)}},
		{"second key bad", [][]byte{GenerateKey(), make([]byte, 33)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := NewSealer(tt.keys...); !errors.Is(err, ErrInvalidKey) {
				t.Fatalf("NewSealer error = %v, want ErrInvalidKey", err)
			}
		})
	}
}

func FuzzOpen(f *testing.F) {
	s, err := NewSealer(make([]byte, KeyLen))
	if err != nil {
		f.Fatal(err)
	}
	sess, token, err := s.Issue(testPrincipal(), "r", "n", time.Hour, t0)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(sess.AccessKeyID, token)
	f.Add("", "")
	f.Add("JGIAAAAAAAAAAAAAAAAA", "AQAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")
	f.Fuzz(func(t *testing.T, akid, tok string) {
		got, err := s.Open(akid, tok, t0)
		switch {
		case err == nil:
			// Only a token this sealer issued can open, and only for its key id.
			if got.AccessKeyID != akid || !got.Expires.After(t0) {
				t.Fatalf("Open accepted %q for session %+v", akid, got)
			}
		case !errors.Is(err, ErrInvalidToken) && !errors.Is(err, ErrKeyMismatch) && !errors.Is(err, ErrExpired):
			t.Fatalf("Open error %v is not a sentinel", err)
		}
	})
}
