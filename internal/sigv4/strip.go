package sigv4

import (
	"net/url"
	"strings"
)

// presignQuery are the query parameters of a presigned (query-signed)
// request: the agent's signature over its own credentials. Other X-Amz-*
// parameters (hoisted headers such as x-amz-server-side-encryption) are
// request parameters.
var presignQuery = map[string]bool{
	"x-amz-algorithm":      true,
	"x-amz-credential":     true,
	"x-amz-date":           true,
	"x-amz-expires":        true,
	"x-amz-signedheaders":  true,
	"x-amz-signature":      true,
	"x-amz-security-token": true,
	"x-amz-region-set":     true, // SigV4a
}

// StripPresign removes presign parameters from a raw query, keeping the
// other parameters exactly as they were written. The ingress strips them
// before a request reaches Kafka and the executor again before re-signing.
func StripPresign(raw string) string {
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
		if !presignQuery[strings.ToLower(k)] {
			keep = append(keep, p)
		}
	}
	return strings.Join(keep, "&")
}
