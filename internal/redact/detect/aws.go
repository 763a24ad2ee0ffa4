package detect

// AWS credentials.
//
// Access key ids: "AKIA" (long-term) or "ASIA" (temporary) followed by 16
// characters of the base32 alphabet (A-Z, 2-7), 20 in all, not glued to
// further letters or digits. Other AWS unique-id prefixes (AIDA users,
// AROA roles, AGPA groups, ANPA policies) identify principals, grant
// nothing, and are not matched.
//
// Secret access keys are 40 characters of [A-Za-z0-9/+] with at least one
// uppercase and one lowercase letter, not glued to further base64
// characters or '=' padding. Any base64 blob has such 40-character
// windows, so a run alone is not enough; one of these must hold too:
//   - the value's member name contains "secret" (Context.SecretName:
//     "SecretAccessKey", "aws_secret", "ClientSecret");
//   - the same string holds an access key id (a pasted key pair, a
//     credentials file stored in S3 or SSM);
//   - "secret" (any case) appears in the 64 bytes before the run
//     ("aws_secret_access_key = ...", "AWS_SECRET_ACCESS_KEY=...").
//
// So a 40-character git SHA-1 (no uppercase), a longer base64 blob, a
// 40-character base64 value in an unrelated member, and a 40-character
// run inside a longer token are not matched.

import "bytes"

func isKeyIDChar(c byte) bool { return isUpper(c) || (c >= '2' && c <= '7') }

func findAccessKeyIDs(s []byte, dst []Match) []Match {
	for off := 0; off+20 <= len(s); {
		k := bytes.Index(s[off:], []byte("A"))
		if k < 0 {
			break
		}
		i := off + k
		off = i + 1
		if i+20 > len(s) || s[i+2] != 'I' || s[i+3] != 'A' || (s[i+1] != 'K' && s[i+1] != 'S') {
			continue
		}
		if i > 0 && isAlnum(s[i-1]) || i+20 < len(s) && isAlnum(s[i+20]) {
			continue
		}
		ok := true
		for _, c := range s[i+4 : i+20] {
			if !isKeyIDChar(c) {
				ok = false
				break
			}
		}
		if ok {
			dst = append(dst, Match{Start: i, End: i + 20, Kind: AWSAccessKeyID})
			off = i + 20
		}
	}
	return dst
}

func isB64Char(c byte) bool { return isAlnum(c) || c == '/' || c == '+' }

func findSecretKeys(s []byte, ctx Context, dst []Match) []Match {
	if len(s) < 40 {
		return dst
	}
	keyID := 0 // 0 unknown, 1 the string holds an access key id, -1 it does not
	for i := 0; i < len(s); {
		if !isB64Char(s[i]) {
			i++
			continue
		}
		j := i
		upper, lower := false, false
		for j < len(s) && isB64Char(s[j]) {
			upper = upper || isUpper(s[j])
			lower = lower || isLower(s[j])
			j++
		}
		if j-i == 40 && upper && lower && (j == len(s) || s[j] != '=') {
			if !ctx.SecretName && keyID == 0 {
				keyID = -1
				if len(findAccessKeyIDs(s, nil)) > 0 {
					keyID = 1
				}
			}
			if ctx.SecretName || keyID == 1 || secretBefore(s, i) {
				dst = append(dst, Match{Start: i, End: j, Kind: AWSSecretKey})
			}
		}
		i = j
	}
	return dst
}

// secretBefore reports whether "secret" appears, in any case, in the 64
// bytes before s[i].
func secretBefore(s []byte, i int) bool {
	w := s[max(0, i-64):i]
	for k := 0; k+6 <= len(w); k++ {
		if (w[k]|0x20) == 's' && (w[k+1]|0x20) == 'e' && (w[k+2]|0x20) == 'c' && (w[k+3]|0x20) == 'r' && (w[k+4]|0x20) == 'e' && (w[k+5]|0x20) == 't' {
			return true
		}
	}
	return false
}
