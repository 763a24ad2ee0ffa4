package detect

// Phone numbers, in two written forms:
//
//   - E.164 / international: '+', a country code (first digit 1-9), 8 to
//     15 digits in all, optionally grouped by single spaces, '-', '.' or a
//     parenthesised group: "+14155550100", "+44 20 7946 0958",
//     "+1 (415) 555-0100", "+49 (0)30 1234567".
//   - North American (NANP) national: "(415) 555-0100", "415-555-0100",
//     "415.555.0100", "415 555 0100", with an optional leading "1-" or
//     "1 "; area code and exchange start with 2-9, one separator kind
//     throughout (after "(415)" a space or '-').
//
// Does not match: bare digit runs without '+' ("4155550100" could be an
// order number or an epoch time), other countries' national formats
// ("020 7946 0958": write them with +CC, or add a custom regex), dates
// ("2024-01-15"), SSNs (3-2-4), IP addresses, version strings, and numbers
// glued to letters, dashes or dots ("ORD-415-555-0100", "1.415.555.0100.2").

func findPhones(s []byte, dst []Match) []Match {
	for i := 0; i < len(s); i++ {
		c := s[i]
		var end int
		switch {
		case c == '+':
			if i > 0 && (isAlnum(s[i-1]) || s[i-1] == '+') {
				continue
			}
			end = e164(s, i)
		case c == '(' || isDigit(c):
			if !numLeftOK(s, i) {
				continue
			}
			end = nanp(s, i)
		default:
			continue
		}
		if end > 0 {
			dst = append(dst, Match{Start: i, End: end, Kind: Phone})
			i = end - 1
		} else if isDigit(c) {
			for i+1 < len(s) && isDigit(s[i+1]) {
				i++ // the rest of a digit run cannot start a number
			}
		}
	}
	return dst
}

// e164 returns the end of an international number starting with the '+'
// at s[i], or 0.
func e164(s []byte, i int) int {
	j := i + 1
	if j >= len(s) || s[j] < '1' || s[j] > '9' {
		return 0
	}
	digits, end := 0, 0
	paren := false
	for j < len(s) {
		c := s[j]
		switch {
		case isDigit(c):
			digits++
			j++
			end = j
			continue
		case c == '(' && !paren && j+1 < len(s) && isDigit(s[j+1]):
			paren = true
			j++
			continue
		case c == ')' && paren && isDigit(s[j-1]):
			paren = false
			j++
			if j < len(s) && s[j] == ' ' {
				j++
			}
			continue
		case (c == ' ' || c == '-' || c == '.') && isDigit(s[j-1]) && j+1 < len(s) && (isDigit(s[j+1]) || s[j+1] == '('):
			j++
			continue
		}
		break
	}
	if paren || digits < 8 || digits > 15 || !numRightOK(s, end) {
		return 0
	}
	return end
}

// nanp returns the end of a North American number starting at s[i], or 0.
func nanp(s []byte, i int) int {
	j := i
	// Optional "1-", "1 " or "1." country prefix.
	if s[j] == '1' && j+1 < len(s) && (s[j+1] == '-' || s[j+1] == ' ' || s[j+1] == '.') {
		j += 2
	}
	var sep byte
	if j < len(s) && s[j] == '(' {
		if !threeDigits(s, j+1, true) || j+4 >= len(s) || s[j+4] != ')' {
			return 0
		}
		j += 5
		if j < len(s) && (s[j] == ' ' || s[j] == '-') {
			j++
		}
	} else {
		if !threeDigits(s, j, true) || j+3 >= len(s) {
			return 0
		}
		sep = s[j+3]
		if sep != '-' && sep != '.' && sep != ' ' {
			return 0
		}
		if i != j && s[i+1] != sep {
			return 0 // "1-415 555 0100": one separator kind
		}
		j += 4
	}
	if !threeDigits(s, j, true) || j+3 >= len(s) {
		return 0
	}
	c := s[j+3]
	if sep != 0 && c != sep || sep == 0 && c != '-' && c != ' ' {
		return 0
	}
	j += 4
	for k := 0; k < 4; k++ {
		if j+k >= len(s) || !isDigit(s[j+k]) {
			return 0
		}
	}
	j += 4
	if !numRightOK(s, j) {
		return 0
	}
	return j
}

// threeDigits reports whether s[j:j+3] are digits, the first 2-9 when
// nxx is set.
func threeDigits(s []byte, j int, nxx bool) bool {
	if j+3 > len(s) {
		return false
	}
	if nxx && (s[j] < '2' || s[j] > '9') {
		return false
	}
	return isDigit(s[j]) && isDigit(s[j+1]) && isDigit(s[j+2])
}
