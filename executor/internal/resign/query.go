package resign

import (
	"net/url"
	"strings"
)

// presignParams are the query parameters of a presigned (query-signed)
// request. They are the agent's signature over its own credentials and never
// go upstream. Other X-Amz-* parameters (hoisted headers such as
// x-amz-server-side-encryption) are request parameters and are kept.
var presignParams = map[string]bool{
	"x-amz-algorithm":      true,
	"x-amz-credential":     true,
	"x-amz-date":           true,
	"x-amz-expires":        true,
	"x-amz-signedheaders":  true,
	"x-amz-signature":      true,
	"x-amz-security-token": true,
	"x-amz-region-set":     true, // SigV4a
}

// stripPresign removes presign parameters from a raw query, keeping the
// other parameters as they were written.
func stripPresign(raw string) string {
	if raw == "" {
		return ""
	}
	parts := strings.Split(raw, "&")
	keep := parts[:0]
	for _, p := range parts {
		k, _, _ := strings.Cut(p, "=")
		if name, err := url.QueryUnescape(k); err == nil {
			k = name
		}
		if !presignParams[strings.ToLower(k)] {
			keep = append(keep, p)
		}
	}
	return strings.Join(keep, "&")
}
