package awsmodel

// One reading: the checks that make a request mean one thing only. The
// executor forwards the agent's path, query, headers and body, and AWS (or a
// front end, or an emulator) parses them with its own code; whatever two
// parsers could read differently is refused here with ErrAmbiguousRequest,
// and a header the identifier reads that the signature does not cover with
// ErrUnsignedInput. See the package documentation for the rules.

import (
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// queryPair is one key=value of a URL query or form body, unescaped, in the
// order sent.
type queryPair struct{ key, value string }

// parseQueryStrict parses a URL query or a form body. Unlike url.ParseQuery
// (and r.URL.Query(), which drops what it cannot parse) it never skips a
// part: a bad escape, invalid UTF-8, a ';' (a separator to some parsers, not
// to others) or an empty key is refused. where names the part for messages.
func parseQueryStrict(raw, where string) ([]queryPair, error) {
	if raw == "" {
		return nil, nil
	}
	var out []queryPair
	for _, part := range strings.Split(raw, "&") {
		if part == "" {
			continue
		}
		if strings.IndexByte(part, ';') >= 0 {
			return nil, fmt.Errorf("%w: %s has a raw ';' in %q, which some parsers read as a separator; percent-encode it as %%3B",
				ErrAmbiguousRequest, where, part)
		}
		k, v, _ := strings.Cut(part, "=")
		uk, err := url.QueryUnescape(k)
		if err != nil {
			return nil, fmt.Errorf("%w: %s key %q is not valid percent-encoding", ErrAmbiguousRequest, where, k)
		}
		uv, err := url.QueryUnescape(v)
		if err != nil {
			return nil, fmt.Errorf("%w: %s value of %q is not valid percent-encoding", ErrAmbiguousRequest, where, uk)
		}
		if uk == "" {
			return nil, fmt.Errorf("%w: %s has a parameter without a name (%q)", ErrAmbiguousRequest, where, part)
		}
		if !utf8.ValidString(uk) || !utf8.ValidString(uv) {
			return nil, fmt.Errorf("%w: %s parameter %q is not valid UTF-8", ErrAmbiguousRequest, where, uk)
		}
		out = append(out, queryPair{uk, uv})
	}
	return out, nil
}

// values turns pairs into url.Values, keeping the order of repeated keys.
func values(pairs []queryPair) url.Values {
	v := make(url.Values, len(pairs))
	for _, p := range pairs {
		v[p.key] = append(v[p.key], p.value)
	}
	return v
}

// checkKeys refuses a key given twice (unless repeatable says it is a list)
// and two keys that are equal but for case: a service that reads keys
// case-insensitively, or takes the first where another takes the last,
// would see a different request.
func checkKeys(pairs []queryPair, where string, repeatable func(string) bool) error {
	seen := make(map[string]string, len(pairs)) // folded -> as sent
	for _, p := range pairs {
		f := foldKey(p.key)
		prev, ok := seen[f]
		switch {
		case !ok:
			seen[f] = p.key
		case prev != p.key:
			return fmt.Errorf("%w: %s has keys %q and %q, which differ only in case", ErrAmbiguousRequest, where, prev, p.key)
		case repeatable == nil || !repeatable(p.key):
			return fmt.Errorf("%w: %s has %q more than once", ErrAmbiguousRequest, where, p.key)
		}
	}
	return nil
}

// foldKey maps s to a key equal for all strings that are equal under
// Unicode simple case folding (strings.EqualFold): each rune becomes the
// smallest rune of its folding orbit, so "K", "k" and the Kelvin sign agree.
func foldKey(s string) string {
	ascii := true
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			ascii = false
			break
		}
	}
	if ascii {
		return strings.ToUpper(s) // the smallest rune of an ASCII letter's orbit is upper case
	}
	var b strings.Builder
	b.Grow(len(s))
	for _, r := range s {
		least := r
		for f := unicode.SimpleFold(r); f != r; f = unicode.SimpleFold(f) {
			least = min(least, f)
		}
		b.WriteRune(least)
	}
	return b.String()
}

// checkFoldedMembers refuses, at any depth of a decoded JSON or CBOR value,
// an object with two member names equal but for case (exact duplicates are
// refused by the decoders).
func checkFoldedMembers(v any, at string) error {
	switch x := v.(type) {
	case map[string]any:
		seen := make(map[string]string, len(x))
		for k, child := range x {
			f := foldKey(k)
			if prev, ok := seen[f]; ok {
				a, b := min(prev, k), max(prev, k) // deterministic message
				return fmt.Errorf("%w: body object %s has members %q and %q, which differ only in case", ErrAmbiguousRequest, at, a, b)
			}
			seen[f] = k
			if err := checkFoldedMembers(child, at+"."+k); err != nil {
				return err
			}
		}
	case []any:
		for i, child := range x {
			if err := checkFoldedMembers(child, fmt.Sprintf("%s[%d]", at, i)); err != nil {
				return err
			}
		}
	}
	return nil
}

// checkDotSegments refuses '.' and '..' path segments, raw or
// percent-encoded, also where a segment decodes to several ("x%2F.."), or
// splits on a backslash: front ends and emulators that normalise paths
// would remove them and run the call on another resource (an S3 key
// "/b/x/.." with a sub-resource becomes a call on the bucket).
func checkDotSegments(escaped string) error {
	for _, seg := range strings.Split(escaped, "/") {
		dec := seg
		if strings.IndexByte(seg, '%') >= 0 {
			u, err := url.PathUnescape(seg)
			if err != nil {
				return fmt.Errorf("%w: path segment %q is not valid percent-encoding", ErrAmbiguousRequest, seg)
			}
			dec = u
		}
		for _, part := range strings.FieldsFunc(dec, func(r rune) bool { return r == '/' || r == '\\' }) {
			if part == "." || part == ".." {
				return fmt.Errorf("%w: path %q has a %q segment (raw or percent-encoded), which front ends and emulators may normalise away; "+
					"paths (and S3 keys) with '.' or '..' path segments are not accepted through the gateway", ErrAmbiguousRequest, escaped, part)
			}
		}
	}
	return nil
}

// hasEmptySegment reports a "//" in an escaped path (a single trailing
// slash does not count).
func hasEmptySegment(segs []string) bool {
	for i, s := range segs {
		if s == "" && i != len(segs)-1 {
			return true
		}
	}
	return false
}

// checkParamStrings refuses parameter strings that are not valid UTF-8:
// they would reach policy re-encoded (U+FFFD) while the upstream gets the
// original bytes.
func checkParamStrings(v any, at string) error {
	switch x := v.(type) {
	case string:
		if !utf8.ValidString(x) {
			return fmt.Errorf("%w: parameter %s is not valid UTF-8", ErrAmbiguousRequest, at)
		}
	case []string:
		for i, s := range x {
			if err := checkParamStrings(s, fmt.Sprintf("%s[%d]", at, i)); err != nil {
				return err
			}
		}
	case map[string]string:
		for k, s := range x {
			if !utf8.ValidString(k) {
				return fmt.Errorf("%w: parameter %s has a key that is not valid UTF-8", ErrAmbiguousRequest, at)
			}
			if err := checkParamStrings(s, at+"."+k); err != nil {
				return err
			}
		}
	case map[string]any:
		for k, c := range x {
			if !utf8.ValidString(k) {
				return fmt.Errorf("%w: parameter %s has a key that is not valid UTF-8", ErrAmbiguousRequest, at)
			}
			if err := checkParamStrings(c, at+"."+k); err != nil {
				return err
			}
		}
	case []any:
		for i, c := range x {
			if err := checkParamStrings(c, fmt.Sprintf("%s[%d]", at, i)); err != nil {
				return err
			}
		}
	}
	return nil
}

// headerReads is the set of headers the identifier reads for one request:
// exact lower-case names and lower-case name prefixes (x-amz-meta-).
type headerReads struct {
	names    map[string]bool
	prefixes []string
}

func (hr *headerReads) add(name string) {
	if hr.names == nil {
		hr.names = map[string]bool{}
	}
	hr.names[strings.ToLower(name)] = true
}

func (hr *headerReads) reads(lname string) bool {
	if hr.names[lname] {
		return true
	}
	for _, p := range hr.prefixes {
		if len(lname) > len(p) && strings.HasPrefix(lname, p) {
			return true
		}
	}
	return false
}

// framing headers are read by every HTTP hop and checked against the body
// the gateway read; botocore does not sign Content-Length.
var framing = map[string]bool{"content-length": true}

// check refuses, among h, a header hr reads that is not in signed (nil:
// no signature to check against), and a header spelled with '_' where '-'
// would name a header hr reads (CGI-style servers read X_Amz_Copy_Source
// as x-amz-copy-source).
func (hr *headerReads) check(h http.Header, signed map[string]bool) error {
	for name := range h {
		lname := strings.ToLower(name)
		if strings.IndexByte(lname, '_') >= 0 {
			if alias := strings.ReplaceAll(lname, "_", "-"); hr.reads(alias) {
				return fmt.Errorf("%w: header %q may be read as %q by servers that map '_' to '-'; send %q instead",
					ErrAmbiguousRequest, name, alias, alias)
			}
		}
		if signed == nil || framing[lname] || !hr.reads(lname) || signed[lname] {
			continue
		}
		return fmt.Errorf("%w: header %q picks or fills the operation but is not signed; sign it (add it to SignedHeaders)",
			ErrUnsignedInput, lname)
	}
	return nil
}

// signedSet is Hint.SignedHeaders as a set; nil means "do not check".
func signedSet(names []string) map[string]bool {
	if names == nil {
		return nil
	}
	s := make(map[string]bool, len(names))
	for _, n := range names {
		s[strings.ToLower(n)] = true
	}
	return s
}

// singleHeader returns the one value of header name, refusing it given more
// than once (first-wins and last-wins parsers would disagree).
func singleHeader(h http.Header, name string) (string, error) {
	vs := h.Values(name)
	switch len(vs) {
	case 0:
		return "", nil
	case 1:
		return vs[0], nil
	}
	return "", fmt.Errorf("%w: header %s is given %d times", ErrAmbiguousRequest, name, len(vs))
}

// onlyPresign refuses URL query keys other than SigV4 presign parameters,
// for protocols whose input lives in the body.
func onlyPresign(pairs []queryPair, protocol string) error {
	for _, p := range pairs {
		if !isPresignParam(p.key) {
			return fmt.Errorf("%w: %s request carries URL query key %q; its input belongs in the body only", ErrAmbiguousRequest, protocol, p.key)
		}
	}
	return nil
}

// rootPathOnly refuses a path other than "/" for protocols that put the
// whole input in the body (a path such as an SQS queue URL is read as input
// by some front ends).
func rootPathOnly(path, protocol string) error {
	if path != "/" {
		return fmt.Errorf("%w: %s request has path %q; send it to / (or /svc/<service-id>)", ErrAmbiguousRequest, protocol, path)
	}
	return nil
}

// methodOverride are headers that some front ends, frameworks and
// emulators read as the request's real method (a GET judged as GetObject
// would run as DeleteObject). No AWS SDK sends them.
var methodOverride = []string{"X-Http-Method-Override", "X-Http-Method", "X-Method-Override"}

// checkMethodOverride refuses a request that names another method in a
// header.
func checkMethodOverride(h http.Header) error {
	for _, name := range methodOverride {
		if _, ok := h[name]; ok {
			return fmt.Errorf("%w: header %s may make a server run another method than the request's own; leave it out",
				ErrAmbiguousRequest, name)
		}
	}
	return nil
}

// maxQueryIndex bounds a list or map index in a flattened query key
// ("Tags.member.3.Key"). AWS's largest lists hold a few thousand members.
const maxQueryIndex = 999_999

// checkQueryIndexes refuses a flattened query key with an index segment
// not written as SDKs write it: 1, 2, ... in decimal, without sign or
// leading zero. "Attribute.01.Name" and "Attribute.1.Name" are two keys to
// the gateway but one member to a parser that reads the index as a number,
// which then keeps the first or the last.
func checkQueryIndexes(pairs []queryPair, where string) error {
	for _, p := range pairs {
		for _, seg := range strings.Split(p.key, ".") {
			if !numericSegment(seg) {
				continue
			}
			n, err := strconv.Atoi(seg)
			if seg[0] < '1' || seg[0] > '9' || err != nil || n > maxQueryIndex {
				return fmt.Errorf("%w: %s key %q has index %q; list and map indexes are written 1, 2, 3, ... (at most %d)",
					ErrAmbiguousRequest, where, p.key, seg, maxQueryIndex)
			}
		}
	}
	return nil
}

// numericSegment reports a key segment a number parser would read as an
// integer: optional sign, then digits only.
func numericSegment(s string) bool {
	s = strings.TrimLeft(s, "+-")
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}
