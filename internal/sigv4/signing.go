package sigv4

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
)

// emptySHA256 is the hex SHA-256 of no bytes.
const emptySHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

// signer holds what every signature of one request shares: the derived
// signing key, the request time and the credential scope.
type signer struct {
	key     []byte
	amzDate string // YYYYMMDDTHHMMSSZ
	scope   string // date/region/service/aws4_request
}

// newSigner derives the signing key for secret and the scope of a.
func newSigner(secret, amzDate string, a *Authorization) *signer {
	k := hmacSHA256([]byte("AWS4"+secret), a.Date)
	k = hmacSHA256(k, a.Region)
	k = hmacSHA256(k, a.Service)
	k = hmacSHA256(k, scopeTerminal)
	return &signer{key: k, amzDate: amzDate, scope: a.scope()}
}

// sign returns the hex signature of the string to sign built from algorithm,
// the request time, the scope and the given lines.
func (s *signer) sign(algorithm string, lines ...string) string {
	m := hmac.New(sha256.New, s.key)
	m.Write([]byte(algorithm + "\n" + s.amzDate + "\n" + s.scope))
	for _, l := range lines {
		m.Write([]byte{'\n'})
		m.Write([]byte(l))
	}
	return hex.EncodeToString(m.Sum(nil))
}

// requestSignature signs a canonical request.
func (s *signer) requestSignature(canonical string) string {
	return s.sign(Algorithm, hexSHA256([]byte(canonical)))
}

// chunkSignature signs one aws-chunked chunk, chained from prev.
func (s *signer) chunkSignature(prev string, data []byte) string {
	return s.sign("AWS4-HMAC-SHA256-PAYLOAD", prev, emptySHA256, hexSHA256(data))
}

// trailerSignature signs the canonical trailer lines, chained from prev.
func (s *signer) trailerSignature(prev string, canonicalTrailer []byte) string {
	return s.sign("AWS4-HMAC-SHA256-TRAILER", prev, hexSHA256(canonicalTrailer))
}

// equalSignature compares two hex signatures in constant time.
func equalSignature(got, want string) bool {
	return hmac.Equal([]byte(got), []byte(want))
}

func hmacSHA256(key []byte, data string) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(data))
	return m.Sum(nil)
}

func hexSHA256(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}
