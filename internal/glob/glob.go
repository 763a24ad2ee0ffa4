// Package glob matches the wildcard patterns of policies and allow-lists:
// `*` any run of characters, `?` exactly one.
package glob

import "unicode/utf8"

// Match reports whether s matches pattern, where `*` matches any run of
// characters (including none) and `?` exactly one character. There are no
// character classes or escapes; matching is case-sensitive.
//
// It is iterative wildcard matching with one backtrack point: no
// recursion, no allocation, O(len(s)*len(pattern)) in the worst case.
func Match(s, pattern string) bool {
	si, pi := 0, 0
	starP, starS := -1, 0
	for si < len(s) {
		switch {
		case pi < len(pattern) && pattern[pi] == '?':
			_, n := utf8.DecodeRuneInString(s[si:])
			si += n
			pi++
		case pi < len(pattern) && pattern[pi] == '*':
			starP, starS = pi, si
			pi++
		case pi < len(pattern) && pattern[pi] == s[si]:
			si++
			pi++
		case starP >= 0:
			_, n := utf8.DecodeRuneInString(s[starS:])
			starS += n
			pi, si = starP+1, starS
		default:
			return false
		}
	}
	for pi < len(pattern) && pattern[pi] == '*' {
		pi++
	}
	return pi == len(pattern)
}
