package detect

import "testing"

// FuzzFind: every scanner returns in-bounds, non-empty, ordered,
// non-overlapping spans of its own kind, on any input.
func FuzzFind(f *testing.F) {
	for _, s := range []string{"bob@x.com", "+1 (415) 555-0100", "4111 1111 1111 1111", "GB82 WEST 1234 5698 7654 32",
		"123-45-6789", "AKIAIOSFODNN7EXAMPLE secret wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
		"eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.", "-----BEGIN EC PRIVATE KEY-----x", "::ffff:10.0.0.1/96 fe80::1:"} {
		f.Add([]byte(s), true)
	}
	f.Fuzz(func(t *testing.T, s []byte, secret bool) {
		for _, k := range Kinds() {
			prev := 0
			for _, m := range Find(k, s, Context{SecretName: secret}, nil) {
				if m.Kind != k || m.Start < prev || m.End <= m.Start || m.End > len(s) {
					t.Fatalf("%s: bad span %+v after %d in %q", k, m, prev, s)
				}
				if !ProfileOf(s).Possible(k) {
					t.Fatalf("%s: profile rules out a match in %q", k, s)
				}
				prev = m.End
			}
		}
	})
}
