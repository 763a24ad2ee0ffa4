package detect

// PEM private key blocks: "-----BEGIN <label>-----" where the label ends in
// "PRIVATE KEY" ("PRIVATE KEY", "RSA PRIVATE KEY", "EC PRIVATE KEY",
// "ENCRYPTED PRIVATE KEY", "OPENSSH PRIVATE KEY", ...) or is "PGP PRIVATE
// KEY BLOCK", through the matching "-----END <label>-----". A block
// without its END line matches to the end of the string: a truncated key
// is still key material.
//
// Does not match: certificates, public keys, CSRs and other PEM blocks,
// and the words "private key" outside a BEGIN line.

import "bytes"

var pemBegin = []byte("-----BEGIN ")

func findPrivateKeys(s []byte, dst []Match) []Match {
	for off := 0; off < len(s); {
		k := bytes.Index(s[off:], pemBegin)
		if k < 0 {
			break
		}
		i := off + k
		labelStart := i + len(pemBegin)
		le := bytes.Index(s[labelStart:], []byte("-----"))
		if le < 0 || le > 64 {
			off = labelStart
			continue
		}
		label := s[labelStart : labelStart+le]
		if !bytes.HasSuffix(label, []byte("PRIVATE KEY")) && !bytes.Equal(label, []byte("PGP PRIVATE KEY BLOCK")) {
			off = labelStart + le
			continue
		}
		end := len(s)
		tail := s[labelStart+le+5:]
		endLine := append(append([]byte("-----END "), label...), "-----"...)
		if e := bytes.Index(tail, endLine); e >= 0 {
			end = labelStart + le + 5 + e + len(endLine)
		}
		dst = append(dst, Match{Start: i, End: end, Kind: PrivateKey})
		off = end
	}
	return dst
}
