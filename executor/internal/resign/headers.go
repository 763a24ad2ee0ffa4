package resign

import (
	"net/http"
	"strings"
)

// Headers the signer owns: the client's values are dropped and the signer
// (or the request's own fields) writes fresh ones.
var signerOwned = map[string]bool{
	"authorization":        true,
	"host":                 true,
	"x-amz-date":           true,
	"x-amz-security-token": true,
	"x-amz-content-sha256": true,
	"content-length":       true, // set from the decoded body size
}

// Headers never forwarded: hop-by-hop headers, forwarding headers (they name
// hosts the client chose), Expect, and the aws-chunked framing the ingress
// already decoded.
var dropped = map[string]bool{
	"expect":                       true,
	"connection":                   true,
	"keep-alive":                   true,
	"te":                           true,
	"trailer":                      true,
	"transfer-encoding":            true,
	"upgrade":                      true,
	"forwarded":                    true,
	"via":                          true,
	"x-amz-decoded-content-length": true,
	"x-amz-trailer":                true,
}

// drop reports whether a header (lowercase name) never goes upstream.
func drop(name string) bool {
	return signerOwned[name] || dropped[name] ||
		strings.HasPrefix(name, "proxy-") || strings.HasPrefix(name, "x-forwarded-")
}

// connectionTokens are the header names a Connection header declares
// hop-by-hop (RFC 9110 7.6.1); they are dropped too.
func connectionTokens(hs http.Header) map[string]bool {
	out := map[string]bool{}
	for _, v := range hs.Values("Connection") {
		for _, tok := range strings.Split(v, ",") {
			if tok = strings.ToLower(strings.TrimSpace(tok)); tok != "" {
				out[tok] = true
			}
		}
	}
	return out
}

// stripAWSChunked removes the aws-chunked coding from a Content-Encoding
// value; the result is "" when nothing else was listed.
func stripAWSChunked(v string) (rest string, had bool) {
	var keep []string
	for _, c := range strings.Split(v, ",") {
		c = strings.TrimSpace(c)
		switch {
		case strings.EqualFold(c, "aws-chunked"):
			had = true
		case c != "":
			keep = append(keep, c)
		}
	}
	return strings.Join(keep, ", "), had
}
