package redact

// Field matching: a field is one or more dot-separated segments, compared
// case-insensitively (ASCII folding) with the last names of the path from
// the document root. '*' inside a segment matches any run of characters.
// Array levels, and in forms the "member"/"entry"/index levels, are
// transparent, so "authorizationData.authorizationToken" matches every
// element of the authorizationData array.

import (
	"strings"
)

// pattern is one compiled field of one rule.
type pattern struct {
	segs   []string // ASCII-lowercased, root-most first; '*' is a wildcard
	rule   int      // index into Engine.rules
	base64 bool     // the field is a blob: JSON and XML get the mask base64-encoded
}

// matcher indexes patterns by their last segment: exact names in a map,
// wildcard names in a list checked one by one.
type matcher struct {
	patterns []pattern
	exact    map[string][]int
	globs    []int
	// Prefilter for exact names: lengths (bit n = some name has length n,
	// bit 63 = some name is 63 bytes or longer) and lowercased first bytes.
	lens  uint64
	first [256]bool
	// Prefilter for glob names: the lowercased bytes their literal ends
	// require ("*token" needs a name ending in 'n'); anyFirst/anyLast
	// when some glob starts or ends with '*'.
	globFirst, globLast [256]bool
	anyFirst, anyLast   bool
}

// add validates and indexes the fields of rule r, compiled as rule ruleIdx;
// index is the rule's position in the caller's list, reported by RuleError.
func (m *matcher) add(r Rule, index, ruleIdx int) error {
	for _, f := range r.Fields {
		segs, reason := splitField(f)
		if reason != "" {
			return &RuleError{Rule: r.Name, Index: index, Key: "fields", Field: f, Reason: reason}
		}
		m.patterns = append(m.patterns, pattern{segs: segs, rule: ruleIdx, base64: r.Base64})
		i := len(m.patterns) - 1
		last := segs[len(segs)-1]
		if strings.Contains(last, "*") {
			m.globs = append(m.globs, i)
			if last[0] == '*' {
				m.anyFirst = true
			} else {
				m.globFirst[last[0]] = true
			}
			if c := last[len(last)-1]; c == '*' {
				m.anyLast = true
			} else {
				m.globLast[c] = true
			}
			continue
		}
		if m.exact == nil {
			m.exact = make(map[string][]int)
		}
		m.exact[last] = append(m.exact[last], i)
		m.lens |= 1 << min(len(last), 63)
		m.first[last[0]] = true
	}
	return nil
}

// splitField lowercases and splits a field; a "[]" suffix on a segment is
// accepted and ignored (arrays are transparent anyway).
func splitField(f string) ([]string, string) {
	if strings.TrimSpace(f) == "" {
		return nil, "empty field name"
	}
	if strings.ContainsAny(f, " \t\r\n\"'<>&=") {
		return nil, "field names cannot contain spaces, quotes or markup characters"
	}
	parts := strings.Split(f, ".")
	segs := make([]string, 0, len(parts))
	for _, p := range parts {
		p = strings.TrimSuffix(p, "[]")
		if p == "" {
			return nil, "empty segment; write names separated by single dots, e.g. Credentials.SecretAccessKey"
		}
		segs = append(segs, asciiLowerString(p))
	}
	return segs, ""
}

// selection is what the matcher found for one path.
type selection struct {
	whole int   // the rule replacing the value whole (lowest index wins); -1 none
	b64   bool  // some selecting pattern marks the value a blob
	dets  []int // rules whose detectors the selection switches on
	// noDetect: nothing applies, not even the detectors of rules without
	// fields (CBOR date and number tags, whose strings are not text).
	noDetect bool
}

// match reports which patterns of rules in scope (applies) select the last
// segment of p, given its ancestors: the first fields-only rule replaces
// the value whole; rules with detectors are appended to sel.dets. scratch
// is reused between calls to avoid allocation; the grown slice is
// returned.
func (m *matcher) match(p *path, applies []bool, rules []rule, sel *selection, scratch []byte) []byte {
	n := len(p.segs)
	if n == 0 {
		return scratch
	}
	last := p.segs[n-1]
	if last.transparent() {
		return scratch
	}
	name := p.name(n - 1)
	exact, glob := false, len(m.globs) > 0 // an empty name can match only "*"
	if len(name) > 0 {
		exact = m.lens&(1<<min(len(name), 63)) != 0 && m.first[lowerByte(name[0])]
		glob = glob && (m.anyFirst || m.globFirst[lowerByte(name[0])]) && (m.anyLast || m.globLast[lowerByte(name[len(name)-1])])
	}
	if !exact && !glob {
		return scratch // most names: no pattern of this length, initial or final byte
	}
	scratch = asciiLower(scratch[:0], name)
	// Every selecting pattern is visited, not only the first: a user rule
	// naming a blob field must not turn off the base64 mask a built-in
	// rule asks for.
	for _, i := range m.exact[string(scratch)] {
		if pt := &m.patterns[i]; applies[pt.rule] && m.matchAncestors(pt, p) {
			sel.add(pt, rules)
		}
	}
	for _, i := range m.globs {
		if !glob {
			break
		}
		pt := &m.patterns[i]
		if applies[pt.rule] && globFold(pt.segs[len(pt.segs)-1], scratch) && m.matchAncestors(pt, p) {
			sel.add(pt, rules)
		}
	}
	return scratch
}

func (s *selection) add(pt *pattern, rules []rule) {
	s.b64 = s.b64 || pt.base64
	if rules[pt.rule].detects() {
		for _, d := range s.dets {
			if d == pt.rule {
				return
			}
		}
		s.dets = append(s.dets, pt.rule)
		return
	}
	if s.whole < 0 || pt.rule < s.whole {
		s.whole = pt.rule
	}
}

// matchAncestors checks the pattern's leading segments against the
// non-transparent ancestors of the path's last segment, nearest first.
func (m *matcher) matchAncestors(pt *pattern, p *path) bool {
	j := len(p.segs) - 2
	for k := len(pt.segs) - 2; k >= 0; k-- {
		for j >= 0 && p.segs[j].transparent() {
			j--
		}
		if j < 0 || !globFold(pt.segs[k], p.name(j)) {
			return false
		}
		j--
	}
	return true
}

// globFold matches name against a lowercase pattern in which '*' matches
// any run of bytes; other bytes compare with ASCII case folding.
func globFold(pat string, name []byte) bool {
	px, nx := 0, 0
	starPx, starNx := -1, 0
	for nx < len(name) {
		if px < len(pat) {
			switch c := pat[px]; {
			case c == '*':
				starPx, starNx = px, nx
				px++
				continue
			case c == lowerByte(name[nx]):
				px++
				nx++
				continue
			}
		}
		if starPx < 0 {
			return false
		}
		starNx++
		px, nx = starPx+1, starNx
	}
	for px < len(pat) && pat[px] == '*' {
		px++
	}
	return px == len(pat)
}

func lowerByte(c byte) byte {
	if 'A' <= c && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}

func asciiLower(dst, src []byte) []byte {
	for _, c := range src {
		dst = append(dst, lowerByte(c))
	}
	return dst
}

func asciiLowerString(s string) string {
	return string(asciiLower(make([]byte, 0, len(s)), []byte(s)))
}

// segment is one level of a path: a member or element name, or an array
// level. Transparent levels are skipped by matching.
type segment struct {
	start, end int // name bytes in path.buf
	array      bool
	skip       bool
}

// transparent reports whether matching skips the segment: an anonymous
// array level or a form's member/entry/index level.
func (s segment) transparent() bool { return s.skip || (s.array && s.start == s.end) }

// path is the chain of names from the document root to the current node.
type path struct {
	buf  []byte
	segs []segment
}

func (p *path) push(name []byte) {
	start := len(p.buf)
	p.buf = append(p.buf, name...)
	p.segs = append(p.segs, segment{start: start, end: len(p.buf)})
}

func (p *path) pushString(name string) {
	start := len(p.buf)
	p.buf = append(p.buf, name...)
	p.segs = append(p.segs, segment{start: start, end: len(p.buf)})
}

// pushArray adds an anonymous array level (an array inside an array, or a
// top-level array).
func (p *path) pushArray() {
	p.segs = append(p.segs, segment{start: len(p.buf), end: len(p.buf), array: true})
}

// markArray records that the last named segment holds an array.
func (p *path) markArray() {
	if n := len(p.segs); n > 0 {
		p.segs[n-1].array = true
	}
}

// truncate keeps the first n segments.
func (p *path) truncate(n int) {
	if n < len(p.segs) {
		p.buf = p.buf[:p.segs[n].start]
		p.segs = p.segs[:n]
	}
}

func (p *path) name(i int) []byte { return p.buf[p.segs[i].start:p.segs[i].end] }

// appendString renders the path as "a.b[].c".
func (p *path) appendString(dst []byte) []byte {
	for i, s := range p.segs {
		if s.start != s.end {
			if i > 0 {
				dst = append(dst, '.')
			}
			dst = append(dst, p.buf[s.start:s.end]...)
		}
		if s.array {
			dst = append(dst, "[]"...)
		}
	}
	return dst
}

// equalFoldASCII compares name and s with ASCII case folding.
func equalFoldASCII(name []byte, s string) bool {
	if len(name) != len(s) {
		return false
	}
	for i := range len(name) {
		if lowerByte(name[i]) != lowerByte(s[i]) {
			return false
		}
	}
	return true
}
