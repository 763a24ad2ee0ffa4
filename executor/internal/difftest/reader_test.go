package difftest

// otherReading: the upstream request read with every ambiguity resolved the
// other way from awsmodel. Each rule is a reading some HTTP server, proxy or
// AWS front end is known to take.

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/jitgate/jitgate/executor/internal/resign"
	"github.com/jitgate/jitgate/internal/awsmodel"
)

func otherReading(ix *awsmodel.Index, op *awsmodel.Operation, r *http.Request, body []byte) (*http.Request, []byte) {
	s3 := resign.S3Family(op.SigningName)
	// Path: RFC 3986 dot-segment removal after decoding %2E; outside S3,
	// empty segments collapse too.
	p := normalizePath(r.URL.EscapedPath(), !s3)
	if dec, err := url.PathUnescape(p); err == nil {
		r.URL.Path, r.URL.RawPath = dec, p
	}
	// Query: the last of duplicated keys (list members aside); Action and
	// Version whatever their case; x-id is an SDK hint no service reads.
	q := lastValues(r.URL.Query(), op.Params)
	delete(q, "x-id")
	foldKeys(q, "Action", "Version")
	if formBody(r.Header) {
		// A form body wins over the URL query, and the form (Action=) is
		// what a query-protocol reader executes, whatever X-Amz-Target says.
		f, err := url.ParseQuery(string(body))
		if err == nil {
			f = lastValues(f, nil)
			foldKeys(f, "Action", "Version")
		}
		if err == nil && f.Get("Action") != "" {
			for k := range f {
				delete(q, k)
			}
			body = []byte(f.Encode())
			r.Header.Del("X-Amz-Target")
			r.Header.Del("Smithy-Protocol")
		}
	} else if q.Get("Action") != "" && r.Header.Get("X-Amz-Target") != "" && len(bytes.TrimSpace(body)) == 0 {
		r.Header.Del("X-Amz-Target")
	}
	r.URL.RawQuery = q.Encode()
	// Headers: the last of repeated values (list members aside).
	for k, vs := range r.Header {
		if len(vs) > 1 && !isList(vs, op.Params) {
			r.Header[k] = vs[len(vs)-1:]
		}
	}
	// JSON bodies: the first of duplicated keys; keys that differ only in
	// case are one member; in JSON 1.0/1.1 (whose wire names are the member
	// names) a key is the member it equals without case.
	if isJSON(r.Header) && len(bytes.TrimSpace(body)) > 0 {
		var members []string
		if info, ok := ix.Operation(op.Service, op.Name); ok && op.Protocol == "json" {
			members = info.InputMembers
		}
		if b, err := firstWinsJSON(body, members); err == nil {
			body = b
		}
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	r.ContentLength = int64(len(body))
	return r, body
}

// normalizePath removes dot segments (RFC 3986 5.2.4), treating %2E as a
// dot, and with collapse also empty segments.
func normalizePath(escaped string, collapse bool) string {
	segs := strings.Split(strings.TrimPrefix(escaped, "/"), "/")
	var out []string
	for i, s := range segs {
		last := i == len(segs)-1
		switch strings.ToLower(strings.ReplaceAll(strings.ToLower(s), "%2e", ".")) {
		case ".":
			if last {
				out = append(out, "")
			}
			continue
		case "..":
			if len(out) > 0 {
				out = out[:len(out)-1]
			}
			if last {
				out = append(out, "")
			}
			continue
		case "":
			if collapse && !last {
				continue
			}
		}
		out = append(out, s)
	}
	return "/" + strings.Join(out, "/")
}

// lastValues keeps the last value of each key, except for keys whose
// values the identifier read as one list member (in params).
func lastValues(v url.Values, params map[string]any) url.Values {
	out := url.Values{}
	for k, vs := range v {
		switch {
		case len(vs) == 0:
		case isList(vs, params):
			out[k] = vs
		default:
			out[k] = vs[len(vs)-1:]
		}
	}
	return out
}

// isList reports whether some parameter is a list of exactly vs: repeated
// values of a list member are one value, not a duplicate.
func isList(vs []string, params map[string]any) bool {
	for _, p := range params {
		if l, ok := p.([]string); ok && slices.Equal(l, vs) {
			return true
		}
	}
	return false
}

// foldKeys renames keys equal to a name without case to that name; the
// last spelling wins.
func foldKeys(v url.Values, names ...string) {
	for k, vs := range v {
		for _, n := range names {
			if k != n && strings.EqualFold(k, n) {
				delete(v, k)
				v[n] = vs
			}
		}
	}
}

func formBody(h http.Header) bool {
	mt, _, _ := mime.ParseMediaType(h.Get("Content-Type"))
	return mt == "application/x-www-form-urlencoded"
}

func isJSON(h http.Header) bool {
	mt, _, _ := mime.ParseMediaType(h.Get("Content-Type"))
	return h.Get("X-Amz-Target") != "" || strings.HasSuffix(mt, "json")
}

// firstWinsJSON re-encodes a JSON object keeping the first of duplicated
// keys at every depth. Top-level keys that equal each other without case
// are one member: the first spelling, the last value (the identifier takes
// the first spelling's value). A key that equals one of members without
// case is renamed to it.
func firstWinsJSON(body []byte, members []string) ([]byte, error) {
	d := json.NewDecoder(bytes.NewReader(body))
	d.UseNumber()
	if t, err := d.Token(); err != nil || t != json.Delim('{') {
		return nil, fmt.Errorf("not an object")
	}
	folded := map[string]any{}
	for d.More() {
		kt, err := d.Token()
		if err != nil {
			return nil, err
		}
		v, err := decodeFirstWins(d)
		if err != nil {
			return nil, err
		}
		name := kt.(string)
		for _, m := range members {
			if strings.EqualFold(m, name) {
				name = m
			}
		}
		if _, dup := folded[name]; dup {
			continue // the same key twice: the first wins
		}
		for k := range folded {
			if strings.EqualFold(k, name) {
				name = k // the same member in another case: the later value wins
			}
		}
		folded[name] = v
	}
	return json.Marshal(folded)
}

func decodeFirstWins(d *json.Decoder) (any, error) {
	t, err := d.Token()
	if err != nil {
		return nil, err
	}
	switch t {
	case json.Delim('{'):
		m := map[string]any{}
		for d.More() {
			kt, err := d.Token()
			if err != nil {
				return nil, err
			}
			v, err := decodeFirstWins(d)
			if err != nil {
				return nil, err
			}
			if k := kt.(string); !has(m, k) {
				m[k] = v
			}
		}
		_, err := d.Token()
		return m, err
	case json.Delim('['):
		var a []any
		for d.More() {
			v, err := decodeFirstWins(d)
			if err != nil {
				return nil, err
			}
			a = append(a, v)
		}
		_, err := d.Token()
		return a, err
	}
	return t, nil
}

// normal makes parameter values comparable: a JSON round trip.
func normal(m map[string]any) (map[string]any, error) {
	raw, err := json.Marshal(m)
	if err != nil {
		return nil, err
	}
	var out map[string]any
	err = json.Unmarshal(raw, &out)
	return out, err
}

func has(m map[string]any, k string) bool {
	_, ok := m[k]
	return ok
}
