package sigv4

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
)

// boundUnsigned are x-amz-* headers whose values the signature covers even
// when they are not listed in SignedHeaders: X-Amz-Date is in the string to
// sign, X-Amz-Content-Sha256 is the canonical request's last line.
// X-Amz-Security-Token is checked on its own (ErrSecurityTokenNotSigned).
var boundUnsigned = map[string]bool{"x-amz-date": true, "x-amz-content-sha256": true, "x-amz-security-token": true}

// checkHeadersSigned refuses a request carrying an x-amz-* header that is
// not signed, as AWS does ("There were headers present in the request which
// were not signed"). An unsigned x-amz-copy-source turns a PutObject into a
// CopyObject; an unsigned x-amz-acl makes an object public.
func checkHeadersSigned(r *http.Request, signed []string) error {
	var unsigned []string
	for name := range r.Header {
		lower := strings.ToLower(name)
		if !strings.HasPrefix(lower, "x-amz-") || boundUnsigned[lower] {
			continue
		}
		// canonicalHeaders reads a non-canonical key only when the
		// canonical one is absent; a second spelling beside it is unsigned.
		canonical := http.CanonicalHeaderKey(name)
		if slices.Contains(signed, lower) && (name == canonical || r.Header[canonical] == nil) {
			continue
		}
		unsigned = append(unsigned, truncate(lower, 64))
	}
	if len(unsigned) == 0 {
		return nil
	}
	slices.Sort(unsigned)
	if len(unsigned) > 5 {
		unsigned = append(unsigned[:5], "...")
	}
	return fmt.Errorf("%w: %s; sign every x-amz-* header", ErrUnsignedHeader, strings.Join(unsigned, ", "))
}
