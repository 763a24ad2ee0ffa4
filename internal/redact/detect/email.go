package detect

// Email addresses: local@domain.tld, found from each '@'.
//
// Matches: a local part of letters, digits and ._%+- (not starting or
// ending with '.', no ".."), and a domain of at least two dot-separated
// labels of letters, digits and '-' (no label starting or ending with '-')
// whose last label (the TLD) is two or more letters.
//
// Does not match: "user@localhost" and other hosts without a TLD,
// "pkg@1.2.3" (numeric TLD), "@handle", "a@b", quoted local parts and
// IP-literal domains, and file names of the "icon@2x.png" kind (a TLD that
// is a common file extension: png, jpg, jpeg, gif, svg, webp, pdf, txt,
// json, js, css, html, csv, xml, yaml, yml, log).

import "bytes"

func isLocalChar(c byte) bool {
	return isAlnum(c) || c == '.' || c == '_' || c == '%' || c == '+' || c == '-'
}

func isDomainChar(c byte) bool { return isAlnum(c) || c == '-' || c == '.' }

var fileExtensions = []string{"png", "jpg", "jpeg", "gif", "svg", "webp", "pdf", "txt", "json", "js", "css", "html", "csv", "xml", "yaml", "yml", "log"}

// maxLocal is the longest local part RFC 5321 allows; it also bounds the
// walk back from each '@'.
const maxLocal = 64

func findEmails(s []byte, dst []Match) []Match {
	from := 0 // no match may start before the end of the previous one
	for off := 0; off < len(s); {
		k := bytes.IndexByte(s[off:], '@')
		if k < 0 {
			break
		}
		at := off + k
		off = at + 1
		start := at
		for start > from && at-start < maxLocal && isLocalChar(s[start-1]) {
			start--
		}
		if start > from && isLocalChar(s[start-1]) {
			continue // a local part longer than RFC 5321 allows: not an address
		}
		for start < at && s[start] == '.' {
			start++
		}
		if start == at || s[at-1] == '.' || bytes.Contains(s[start:at], []byte("..")) {
			continue
		}
		end := at + 1
		for end < len(s) && isDomainChar(s[end]) {
			end++
		}
		for end > at+1 && (s[end-1] == '.' || s[end-1] == '-') {
			end-- // sentence punctuation
		}
		if !validDomain(s[at+1 : end]) {
			continue
		}
		dst = append(dst, Match{Start: start, End: end, Kind: Email})
		from, off = end, end
	}
	return dst
}

// validDomain checks labels and the TLD.
func validDomain(d []byte) bool {
	dots := 0
	labelStart := 0
	for i := 0; i <= len(d); i++ {
		if i < len(d) && d[i] != '.' {
			continue
		}
		label := d[labelStart:i]
		if len(label) == 0 || len(label) > 63 || label[0] == '-' || label[len(label)-1] == '-' {
			return false
		}
		if i < len(d) {
			dots++
			labelStart = i + 1
		}
	}
	if dots == 0 {
		return false
	}
	tld := d[labelStart:]
	if len(tld) < 2 {
		return false
	}
	for _, c := range tld {
		if !isUpper(c) && !isLower(c) {
			return false
		}
	}
	for _, ext := range fileExtensions {
		if len(tld) == len(ext) && bytes.EqualFold(tld, []byte(ext)) {
			return false
		}
	}
	return true
}
