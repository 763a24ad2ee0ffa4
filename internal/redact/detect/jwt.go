package detect

// JSON web tokens: three base64url segments joined by '.' (JWS compact
// form; five for JWE), the first starting "eyJ" (the base64url of `{"`),
// whose header decodes to a JSON object with a non-empty string "alg".
// The signature segment may be empty (an unsecured token is still a
// token).
//
// Does not match: a lone "eyJ..." segment or two segments, three segments
// whose header is not JSON or has no "alg", segments glued to further
// base64url characters, and dotted names such as "a.b.c" or versions.

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
)

// maxJWTHeader bounds the header segment decoded per candidate.
const maxJWTHeader = 2048

func isB64URLChar(c byte) bool { return isAlnum(c) || c == '-' || c == '_' }

func findJWTs(s []byte, dst []Match) []Match {
	for off := 0; off < len(s); {
		k := bytes.Index(s[off:], []byte("eyJ"))
		if k < 0 {
			break
		}
		i := off + k
		off = i + 3
		if i > 0 && (isB64URLChar(s[i-1]) || s[i-1] == '.') {
			continue
		}
		var segs [6][2]int
		n, j := 0, i
		for n < len(segs) {
			start := j
			for j < len(s) && isB64URLChar(s[j]) {
				j++
			}
			segs[n] = [2]int{start, j}
			n++
			if j >= len(s) || s[j] != '.' {
				break
			}
			j++
		}
		if n > 3 && segs[n-1][0] == segs[n-1][1] {
			n-- // a sentence's full stop after the token
		}
		if n != 3 && n != 5 {
			continue
		}
		if segs[0][1]-segs[0][0] > maxJWTHeader || segs[1][0] == segs[1][1] {
			continue
		}
		if !jwtHeader(s[segs[0][0]:segs[0][1]]) {
			continue
		}
		end := segs[n-1][1]
		dst = append(dst, Match{Start: i, End: end, Kind: JWT})
		off = end
	}
	return dst
}

// jwtHeader reports whether seg is base64url of a JSON object with "alg".
func jwtHeader(seg []byte) bool {
	var buf [maxJWTHeader]byte
	n, err := base64.RawURLEncoding.Decode(buf[:], seg)
	if err != nil {
		return false
	}
	var h struct {
		Alg *string `json:"alg"`
	}
	if json.Unmarshal(buf[:n], &h) != nil || h.Alg == nil || *h.Alg == "" {
		return false
	}
	return true
}
