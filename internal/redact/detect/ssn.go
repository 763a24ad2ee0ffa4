package detect

// US social security numbers written AAA-GG-SSSS (or with single spaces):
// the area is not 000, 666 or 900-999, the group not 00, the serial not
// 0000.
//
// Does not match: nine bare digits (indistinguishable from order numbers
// and ids; select the field instead), mixed separators ("123-45 6789"),
// the invalid ranges above (so "000-12-3456" and ITIN-like 9xx numbers),
// and numbers glued to letters, dots or dashes ("ORD-123-45-6789",
// "123-45-67890").

func findSSNs(s []byte, dst []Match) []Match {
	for i := 0; i+11 <= len(s); i++ {
		if !isDigit(s[i]) {
			continue
		}
		if end := ssnAt(s, i); end > 0 {
			dst = append(dst, Match{Start: i, End: end, Kind: SSN})
			i = end - 1
			continue
		}
		for i+1 < len(s) && isDigit(s[i+1]) {
			i++
		}
	}
	return dst
}

func ssnAt(s []byte, i int) int {
	d := s[i : i+11]
	sep := d[3]
	if (sep != '-' && sep != ' ') || d[6] != sep {
		return 0
	}
	for _, k := range [...]int{0, 1, 2, 4, 5, 7, 8, 9, 10} {
		if !isDigit(d[k]) {
			return 0
		}
	}
	area := prefix(d, 3)
	group := prefix(d[4:], 2)
	serial := prefix(d[7:], 4)
	if area == 0 || area == 666 || area >= 900 || group == 0 || serial == 0 {
		return 0
	}
	if !numLeftOK(s, i) || !numRightOK(s, i+11) {
		return 0
	}
	return i + 11
}
