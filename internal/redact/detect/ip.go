package detect

// IP addresses.
//
// IPv4: four decimal octets 0-255 without leading zeros ("10.0.0.1"),
// optionally followed by a "/prefix" (CIDR, matched with it).
// IPv6: any form net/netip parses ("2001:db8::1", "fe80::1",
// "::ffff:10.0.0.1"), with at least two ':' and at least one hex digit
// besides, and an optional "/prefix".
//
// Does not match: more than four dotted numbers ("1.2.3.4.5"), octets
// over 255 or with leading zeros ("1.02.3.4"), addresses glued to letters
// or dots ("v1.2.3.4", "host.10.0.0.1.example"), MAC addresses, times
// ("12:34:56"), ARNs ("arn:aws:iam::123456789012:role/x"), C++ scopes
// ("std::string") and UUIDs. A four-part version number that is also a
// valid address ("1.2.3.4") does match: written alone, the two cannot be
// told apart.

import "net/netip"

func findIPs(s []byte, dst []Match) []Match {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !isHex(c) && c != ':' {
			continue
		}
		if i > 0 && (isAlnum(s[i-1]) || s[i-1] == '.' || s[i-1] == ':' || s[i-1] == '_') {
			continue
		}
		// The candidate is the run of hex digits, ':' and '.'.
		j := i
		colons := 0
		for j < len(s) && (isHex(s[j]) || s[j] == ':' || s[j] == '.') {
			if s[j] == ':' {
				colons++
			}
			j++
		}
		if end := ipAt(s, i, j, colons); end > 0 {
			dst = append(dst, Match{Start: i, End: end, Kind: IP})
			i = end - 1
			continue
		}
		i = j - 1
	}
	return dst
}

// ipAt returns the end of an address in s[i:j] (the whole run, perhaps
// less trailing sentence punctuation, plus a CIDR suffix), or 0.
func ipAt(s []byte, i, j, colons int) int {
	if colons == 1 {
		// host:port
		k := i
		for s[k] != ':' {
			k++
		}
		if validIPv4(s[i:k]) {
			return k
		}
		return 0
	}
	end := j
	for try := 0; try < 2; try++ {
		if end > i && (end == len(s) || !isAlnum(s[end]) && s[end] != '_') {
			cand := s[i:end]
			if validIP(cand, colons) {
				return cidr(s, end, colons > 0)
			}
		}
		// Retry once without trailing '.' or ':' (end of a sentence).
		for end > i && (s[end-1] == '.' || s[end-1] == ':') {
			if s[end-1] == ':' {
				colons--
			}
			end--
		}
	}
	return 0
}

func validIP(cand []byte, colons int) bool {
	if colons == 0 {
		return validIPv4(cand)
	}
	if colons < 2 {
		return false
	}
	hex := 0
	for _, c := range cand {
		if isHex(c) {
			hex++
		}
	}
	if hex == 0 {
		return false
	}
	a, err := netip.ParseAddr(string(cand))
	return err == nil && a.Is6()
}

// validIPv4 accepts exactly four octets 0-255 without leading zeros.
func validIPv4(b []byte) bool {
	parts, v, digits := 0, 0, 0
	for k := 0; k <= len(b); k++ {
		if k == len(b) || b[k] == '.' {
			if digits == 0 || v > 255 {
				return false
			}
			parts++
			v, digits = 0, 0
			continue
		}
		c := b[k]
		if !isDigit(c) || (digits == 1 && v == 0) || digits == 3 {
			return false
		}
		v = v*10 + int(c-'0')
		digits++
	}
	return parts == 4
}

// cidr extends an address ending at s[end] over a "/prefix" suffix.
func cidr(s []byte, end int, v6 bool) int {
	if end+1 >= len(s) || s[end] != '/' || !isDigit(s[end+1]) {
		return end
	}
	k, v := end+1, 0
	for k < len(s) && isDigit(s[k]) && k-end <= 3 {
		v = v*10 + int(s[k]-'0')
		k++
	}
	limit := 32
	if v6 {
		limit = 128
	}
	if v > limit || (k < len(s) && isAlnum(s[k])) {
		return end
	}
	return k
}

func isHex(c byte) bool { return isDigit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F') }
