package detect

// IBANs: a country code from the table below, two check digits, and the
// country's number of further characters (uppercase letters and digits),
// either contiguous ("GB82WEST12345698765432") or printed in groups of four
// separated by single spaces ("GB82 WEST 1234 5698 7654 32"), whose ISO
// 13616 mod-97 checksum is 1.
//
// Does not match: a bad checksum, a length other than the country's, an
// unknown country code, lowercase letters, and IBAN-like runs glued to
// further letters or digits.

// ibanLengths is each IBAN country's total length (SWIFT IBAN registry).
var ibanLengths = map[[2]byte]int{
	{'A', 'D'}: 24, {'A', 'E'}: 23, {'A', 'L'}: 28, {'A', 'T'}: 20, {'A', 'Z'}: 28, {'B', 'A'}: 20, {'B', 'E'}: 16,
	{'B', 'G'}: 22, {'B', 'H'}: 22, {'B', 'I'}: 27, {'B', 'R'}: 29, {'B', 'Y'}: 28, {'C', 'H'}: 21, {'C', 'R'}: 22,
	{'C', 'Y'}: 28, {'C', 'Z'}: 24, {'D', 'E'}: 22, {'D', 'J'}: 27, {'D', 'K'}: 18, {'D', 'O'}: 28, {'E', 'E'}: 20,
	{'E', 'G'}: 29, {'E', 'S'}: 24, {'F', 'I'}: 18, {'F', 'K'}: 18, {'F', 'O'}: 18, {'F', 'R'}: 27, {'G', 'B'}: 22,
	{'G', 'E'}: 22, {'G', 'I'}: 23, {'G', 'L'}: 18, {'G', 'R'}: 27, {'G', 'T'}: 28, {'H', 'R'}: 21, {'H', 'U'}: 28,
	{'I', 'E'}: 22, {'I', 'L'}: 23, {'I', 'Q'}: 23, {'I', 'S'}: 26, {'I', 'T'}: 27, {'J', 'O'}: 30, {'K', 'W'}: 30,
	{'K', 'Z'}: 20, {'L', 'B'}: 28, {'L', 'C'}: 32, {'L', 'I'}: 21, {'L', 'T'}: 20, {'L', 'U'}: 20, {'L', 'V'}: 21,
	{'L', 'Y'}: 25, {'M', 'C'}: 27, {'M', 'D'}: 24, {'M', 'E'}: 22, {'M', 'K'}: 19, {'M', 'N'}: 20, {'M', 'R'}: 27,
	{'M', 'T'}: 31, {'M', 'U'}: 30, {'N', 'I'}: 28, {'N', 'L'}: 18, {'N', 'O'}: 15, {'O', 'M'}: 23, {'P', 'K'}: 24,
	{'P', 'L'}: 28, {'P', 'S'}: 29, {'P', 'T'}: 25, {'Q', 'A'}: 29, {'R', 'O'}: 24, {'R', 'S'}: 22, {'R', 'U'}: 33,
	{'S', 'A'}: 24, {'S', 'C'}: 31, {'S', 'D'}: 18, {'S', 'E'}: 24, {'S', 'I'}: 19, {'S', 'K'}: 24, {'S', 'M'}: 27,
	{'S', 'O'}: 23, {'S', 'T'}: 25, {'S', 'V'}: 28, {'T', 'L'}: 23, {'T', 'N'}: 24, {'T', 'R'}: 26, {'U', 'A'}: 29,
	{'V', 'A'}: 22, {'V', 'G'}: 24, {'X', 'K'}: 20, {'Y', 'E'}: 30,
}

func findIBANs(s []byte, dst []Match) []Match {
	for i := 0; i+15 <= len(s); i++ {
		if !isUpper(s[i]) || !isUpper(s[i+1]) || !isDigit(s[i+2]) || !isDigit(s[i+3]) {
			continue
		}
		if i > 0 && isAlnum(s[i-1]) {
			continue
		}
		want, ok := ibanLengths[[2]byte{s[i], s[i+1]}]
		if !ok {
			continue
		}
		if end := ibanAt(s, i, want); end > 0 {
			dst = append(dst, Match{Start: i, End: end, Kind: IBAN})
			i = end - 1
		}
	}
	return dst
}

// ibanAt returns the end of an IBAN of want characters starting at s[i]
// (contiguous, or printed in groups of four), or 0.
func ibanAt(s []byte, i, want int) int {
	var buf [34]byte
	n, j := 0, i
	spaced := i+4 < len(s) && s[i+4] == ' '
	for j < len(s) && n < want {
		c := s[j]
		if spaced && n > 0 && n%4 == 0 && c == ' ' && j+1 < len(s) {
			j++
			c = s[j]
		}
		if !isDigit(c) && !isUpper(c) {
			return 0
		}
		buf[n] = c
		n++
		j++
	}
	if n != want || (j < len(s) && isAlnum(s[j])) {
		return 0
	}
	if !ibanChecksum(buf[:n]) {
		return 0
	}
	return j
}

// ibanChecksum computes ISO 13616 mod 97 over the rearranged IBAN.
func ibanChecksum(b []byte) bool {
	rem := 0
	add := func(c byte) {
		if isDigit(c) {
			rem = (rem*10 + int(c-'0')) % 97
		} else {
			rem = (rem*100 + int(c-'A') + 10) % 97
		}
	}
	for _, c := range b[4:] {
		add(c)
	}
	for _, c := range b[:4] {
		add(c)
	}
	return rem == 1
}
