package sigv4

import (
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
)

// queryPair is one decoded query parameter, in the order sent.
type queryPair struct{ key, value string }

// parseQuery splits a raw query string into decoded pairs. '+' decodes to a
// space, as the AWS SDKs' canonicalisation does. Empty pieces ("a&&b") are
// skipped. Errors wrap ErrMalformedAuth.
func parseQuery(raw string) ([]queryPair, error) {
	var pairs []queryPair
	for piece := range strings.SplitSeq(raw, "&") {
		if piece == "" {
			continue
		}
		k, v, _ := strings.Cut(piece, "=")
		key, err := url.QueryUnescape(k)
		if err != nil {
			return nil, fmt.Errorf("%w: bad escape in query parameter name", ErrMalformedAuth)
		}
		value, err := url.QueryUnescape(v)
		if err != nil {
			return nil, fmt.Errorf("%w: bad escape in query parameter %q", ErrMalformedAuth, truncate(key, 64))
		}
		pairs = append(pairs, queryPair{key, value})
	}
	return pairs, nil
}

// values turns pairs into url.Values.
func values(pairs []queryPair) url.Values {
	q := make(url.Values, len(pairs))
	for _, p := range pairs {
		q[p.key] = append(q[p.key], p.value)
	}
	return q
}

// canonicalQuery encodes every pair (except one named skip) with
// RFC 3986 escaping and sorts them by encoded name, then encoded value.
func canonicalQuery(pairs []queryPair, skip string) string {
	enc := make([]queryPair, 0, len(pairs))
	for _, p := range pairs {
		if p.key == skip {
			continue
		}
		enc = append(enc, queryPair{uriEncode(p.key, true), uriEncode(p.value, true)})
	}
	slices.SortFunc(enc, func(a, b queryPair) int {
		if c := strings.Compare(a.key, b.key); c != 0 {
			return c
		}
		return strings.Compare(a.value, b.value)
	})
	var b strings.Builder
	for i, p := range enc {
		if i > 0 {
			b.WriteByte('&')
		}
		b.WriteString(p.key)
		b.WriteByte('=')
		b.WriteString(p.value)
	}
	return b.String()
}

// uriEncode percent-encodes every byte of s that is not an RFC 3986
// unreserved character, with upper-case hex. '/' is kept when encodeSlash is
// false.
func uriEncode(s string, encodeSlash bool) string {
	const hex = "0123456789ABCDEF"
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); i++ {
		c := s[i]
		if 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' ||
			c == '-' || c == '_' || c == '.' || c == '~' || (c == '/' && !encodeSlash) {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('%')
		b.WriteByte(hex[c>>4])
		b.WriteByte(hex[c&15])
	}
	return b.String()
}

// rawPath returns the request path exactly as it came on the wire, still
// percent-encoded, or "/" when empty.
func rawPath(r *http.Request) string {
	p := ""
	if strings.HasPrefix(r.RequestURI, "/") {
		p, _, _ = strings.Cut(r.RequestURI, "?")
	} else if r.URL != nil {
		p = r.URL.EscapedPath()
	}
	if p == "" {
		return "/"
	}
	return p
}

// singleEncodedPath reports whether a signing name signs the path as sent
// (S3 and its relatives) rather than encoding each segment a second time.
func singleEncodedPath(signingName string) bool {
	switch strings.ToLower(signingName) {
	case "s3", "s3-object-lambda", "s3express", "s3-outposts":
		return true
	}
	return false
}

// canonicalURIs returns the canonical URI candidates for a request path.
// S3-style services sign the path as sent. Other services sign the path with
// each segment encoded again; botocore also removes dot segments and empty
// segments first while aws-sdk-go-v2 does not, so when that normalisation
// changes the path both forms are returned.
func canonicalURIs(path, signingName string) []string {
	if singleEncodedPath(signingName) {
		return []string{path}
	}
	uris := []string{uriEncode(path, false)}
	if n := removeDotSegments(path); n != path {
		uris = append(uris, uriEncode(n, false))
	}
	return uris
}

// removeDotSegments resolves "." and ".." and drops empty segments, keeping
// a leading and trailing slash, as botocore does before signing.
func removeDotSegments(p string) string {
	var out []string
	for seg := range strings.SplitSeq(p, "/") {
		switch seg {
		case "", ".":
		case "..":
			if len(out) > 0 {
				out = out[:len(out)-1]
			}
		default:
			out = append(out, seg)
		}
	}
	s := strings.Join(out, "/")
	if strings.HasPrefix(p, "/") {
		s = "/" + s
	}
	if strings.HasSuffix(p, "/") && len(out) > 0 {
		s += "/"
	}
	return s
}

// canonicalHeaders renders "name:value\n" for every signed header, reading
// Host, Content-Length and Transfer-Encoding from where net/http keeps them.
// Several values of one header are joined with ','; each value is trimmed
// and runs of spaces or tabs are collapsed to one space.
func canonicalHeaders(r *http.Request, signed []string) string {
	var b strings.Builder
	for _, name := range signed {
		b.WriteString(name)
		b.WriteByte(':')
		for i, v := range headerValues(r, name) {
			if i > 0 {
				b.WriteByte(',')
			}
			b.WriteString(trimAll(v))
		}
		b.WriteByte('\n')
	}
	return b.String()
}

// headerValues returns the values of a (lowercase) header name.
func headerValues(r *http.Request, name string) []string {
	switch name {
	case "host":
		if r.Host != "" {
			return []string{r.Host}
		}
		if r.URL != nil {
			return []string{r.URL.Host}
		}
		return nil
	case "content-length":
		if vs := r.Header.Values("Content-Length"); len(vs) > 0 {
			return vs
		}
		if r.ContentLength >= 0 {
			return []string{strconv.FormatInt(r.ContentLength, 10)}
		}
		return nil
	case "transfer-encoding":
		if vs := r.Header.Values("Transfer-Encoding"); len(vs) > 0 {
			return vs
		}
		if len(r.TransferEncoding) > 0 {
			return []string{strings.Join(r.TransferEncoding, ",")}
		}
		return nil
	}
	if vs := r.Header.Values(name); len(vs) > 0 {
		return vs
	}
	// A header map built by hand may hold a non-canonical key.
	for k, vs := range r.Header {
		if strings.EqualFold(k, name) {
			return vs
		}
	}
	return nil
}

// trimAll trims a header value and collapses runs of spaces and tabs.
func trimAll(v string) string {
	if !strings.ContainsAny(v, " \t") {
		return v
	}
	return strings.Join(strings.FieldsFunc(v, func(r rune) bool { return r == ' ' || r == '\t' }), " ")
}

// canonicalRequest joins the parts of a canonical request.
func canonicalRequest(method, uri, query, headers string, signed []string, payloadHash string) string {
	return method + "\n" + uri + "\n" + query + "\n" + headers + "\n" + strings.Join(signed, ";") + "\n" + payloadHash
}
