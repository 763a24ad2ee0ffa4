package detect

// Payment card numbers (PANs): 13 to 19 digits, contiguous or in groups
// separated by one kind of separator (single spaces or single '-'), whose
// prefix is a known issuer range for that length and whose Luhn checksum
// is valid.
//
// Issuer ranges: Visa 4 (13, 16, 19 digits); Mastercard 51-55 and
// 2221-2720 (16); American Express 34, 37 (15); Discover 6011, 644-649, 65
// (16-19); Diners Club 300-305, 36, 38-39 (14-19); JCB 3528-3589 (16-19);
// UnionPay 62 (16-19); Maestro 50, 56-58, 63, 67 (13-19); Mir 2200-2204
// (16-19).
//
// Does not match: Luhn-invalid numbers, numbers outside those ranges (an
// order number or millisecond timestamp starting with 1, 7, 8 or 9), runs
// of more than 19 digits, groups of fewer than three digits, and digit
// runs glued to letters, dots or dashes (decimals, ids). When grouped digits run past 19 (a card followed by an
// expiry "4111 1111 1111 1111 1225"), the longest valid leading groups
// match.

const maxCardGroups = 24

func findCards(s []byte, dst []Match) []Match {
	var groups [maxCardGroups][2]int // start, end of each digit group
	for i := 0; i < len(s); i++ {
		if !isDigit(s[i]) {
			continue
		}
		if !numLeftOK(s, i) || s[i] < '2' || s[i] > '6' { // every issuer range starts with 2-6
			for i+1 < len(s) && isDigit(s[i+1]) {
				i++
			}
			continue
		}
		// Collect digit groups joined by one separator kind, no further
		// than 19 digits: no card is longer.
		n, digits := 0, 0
		var sep byte
		j := i
		complete := false // the groups end where the run of groups ends
		for n < maxCardGroups && digits <= 19 {
			start := j
			for j < len(s) && isDigit(s[j]) {
				j++
			}
			if n > 0 && j-start < 3 {
				break // cards are grouped in threes or more: "12" after a card is something else
			}
			groups[n] = [2]int{start, j}
			digits += j - start
			n++
			if j+1 >= len(s) || !isDigit(s[j+1]) || (s[j] != ' ' && s[j] != '-') || (sep != 0 && s[j] != sep) {
				complete = true
				break
			}
			sep = s[j]
			j++
		}
		end := bestCard(s, groups[:n], complete)
		if end > 0 {
			dst = append(dst, Match{Start: i, End: end, Kind: Card})
			i = end - 1
			continue
		}
		if n > 1 {
			i = groups[1][0] - 1 // a card may start at the next group
		} else {
			i = groups[0][1] - 1 // nothing starts inside a digit run
		}
	}
	return dst
}

// bestCard returns the end of the longest run of leading groups that is a
// card number followed by a valid boundary, or 0. complete says the last
// group ends the run (its boundary is then checked).
func bestCard(s []byte, groups [][2]int, complete bool) int {
	var digits [19]byte
	var cum [maxCardGroups + 1]int
	for k, g := range groups {
		cum[k+1] = cum[k] + g[1] - g[0]
	}
	for last := len(groups) - 1; last >= 0 && cum[last+1] >= 13; last-- {
		if cum[last+1] > 19 {
			continue
		}
		n := 0
		for _, g := range groups[:last+1] {
			n += copy(digits[n:], s[g[0]:g[1]])
		}
		end := groups[last][1]
		if complete && last == len(groups)-1 && !numRightOK(s, end) {
			continue
		}
		if knownIIN(digits[:n]) && luhn(digits[:n]) {
			return end
		}
	}
	return 0
}

// luhn reports whether d (ASCII digits) has a valid Luhn check digit.
func luhn(d []byte) bool {
	sum := 0
	double := false
	for i := len(d) - 1; i >= 0; i-- {
		v := int(d[i] - '0')
		if double {
			v *= 2
			if v > 9 {
				v -= 9
			}
		}
		sum += v
		double = !double
	}
	return sum%10 == 0
}

// prefix returns the first n digits of d as a number.
func prefix(d []byte, n int) int {
	v := 0
	for _, c := range d[:n] {
		v = v*10 + int(c-'0')
	}
	return v
}

// knownIIN reports whether the number's prefix belongs to a card network
// that issues numbers of its length.
func knownIIN(d []byte) bool {
	n := len(d)
	p1, p2, p3, p4 := prefix(d, 1), prefix(d, 2), prefix(d, 3), prefix(d, 4)
	switch {
	case p1 == 4:
		return n == 13 || n == 16 || n == 19
	case p2 >= 51 && p2 <= 55, p4 >= 2221 && p4 <= 2720:
		return n == 16
	case p2 == 34, p2 == 37:
		return n == 15
	case p4 == 6011, p3 >= 644 && p3 <= 649, p2 == 65, p2 == 62, p4 >= 3528 && p4 <= 3589, p4 >= 2200 && p4 <= 2204:
		return n >= 16
	case p3 >= 300 && p3 <= 305, p2 == 36, p2 == 38, p2 == 39:
		return n >= 14
	case p2 == 50, p2 >= 56 && p2 <= 58, p2 == 63, p2 == 67:
		return true
	}
	return false
}
