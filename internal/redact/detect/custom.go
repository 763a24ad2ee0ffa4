package detect

// Custom detectors and allow lists from the rules file. Both use Go's
// regexp (RE2: linear time, no backtracking), compiled once at load.

import (
	"fmt"
	"regexp"
	"strings"
)

// Custom is a named regex detector.
type Custom struct {
	Name string
	re   *regexp.Regexp
}

// CompileCustom compiles a custom detector. A regex that does not compile
// or that matches the empty string (it would mask between every two
// characters) is an error wrapping [ErrBadPattern].
func CompileCustom(name, expr string) (*Custom, error) {
	re, err := regexp.Compile(expr)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrBadPattern, err)
	}
	if re.MatchString("") {
		return nil, fmt.Errorf("%w: %q matches the empty string", ErrBadPattern, expr)
	}
	return &Custom{Name: name, re: re}, nil
}

// Find appends the regex's leftmost-first, non-overlapping matches in s.
// Their Kind is 0: the caller knows which custom detector it asked.
func (c *Custom) Find(s []byte, dst []Match) []Match {
	for _, m := range c.re.FindAllIndex(s, -1) {
		if m[1] > m[0] {
			dst = append(dst, Match{Start: m[0], End: m[1]})
		}
	}
	return dst
}

// Placeholder is "[" + the upper-cased name + "]".
func (c *Custom) Placeholder() string { return "[" + strings.ToUpper(c.Name) + "]" }

// Allow is a list of values that are never masked: exact strings, and
// regexes written between slashes ("/^noreply@example\\.com$/"), which
// must match the whole value.
type Allow struct {
	exact map[string]struct{}
	res   []*regexp.Regexp
}

// CompileAllow compiles an allow list. An entry's error names its index.
func CompileAllow(entries []string) (*Allow, error) {
	if len(entries) == 0 {
		return nil, nil
	}
	a := &Allow{exact: make(map[string]struct{})}
	for i, e := range entries {
		if len(e) >= 2 && e[0] == '/' && e[len(e)-1] == '/' {
			re, err := regexp.Compile(`^(?:` + e[1:len(e)-1] + `)$`)
			if err != nil {
				return nil, fmt.Errorf("allow[%d]: %w: %w", i, ErrBadPattern, err)
			}
			a.res = append(a.res, re)
			continue
		}
		if e == "" {
			return nil, fmt.Errorf("allow[%d]: %w: empty value", i, ErrBadPattern)
		}
		a.exact[e] = struct{}{}
	}
	return a, nil
}

// Allowed reports whether v is on the list. A nil list allows nothing.
func (a *Allow) Allowed(v []byte) bool {
	if a == nil {
		return false
	}
	if _, ok := a.exact[string(v)]; ok {
		return true
	}
	for _, re := range a.res {
		if re.Match(v) {
			return true
		}
	}
	return false
}
