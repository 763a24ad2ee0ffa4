package awsmodel

// URI templates of REST operations: "/{Bucket}/{Key+}?uploads",
// "/2015-03-31/functions/{FunctionName}/invocations", "/{Bucket}?list-type=2".
// A path segment is a literal, a label {Name} (one non-empty segment) or a
// greedy label {Name+} (one or more segments, slashes kept). The literal
// query part lists keys that must be present, with a value that must match
// when one is given. Labels inside a segment ("a{B}c") do not occur in the
// botocore models and are treated as literals.

import (
	"fmt"
	"net/url"
	"strings"
)

type segment struct {
	lit    string // literal text when label == ""
	label  string // location name of the label
	greedy bool
}

type queryLit struct {
	key, value string
	hasValue   bool
}

// template is a parsed requestUri.
type template struct {
	segs   []segment
	greedy int // index of the greedy segment, -1 if none
	query  []queryLit
}

func parseTemplate(uri string) template {
	pathPart, queryPart, _ := strings.Cut(uri, "?")
	t := template{greedy: -1}
	for _, s := range splitPath(pathPart) {
		if s == "" {
			continue
		}
		if name, ok := labelName(s); ok {
			seg := segment{label: strings.TrimSuffix(name, "+"), greedy: strings.HasSuffix(name, "+")}
			if seg.greedy && t.greedy < 0 {
				t.greedy = len(t.segs)
			} else {
				seg.greedy = false
			}
			t.segs = append(t.segs, seg)
			continue
		}
		t.segs = append(t.segs, segment{lit: s})
	}
	if queryPart != "" {
		for _, kv := range strings.Split(queryPart, "&") {
			if kv == "" {
				continue
			}
			k, v, has := strings.Cut(kv, "=")
			t.query = append(t.query, queryLit{key: k, value: v, hasValue: has})
		}
	}
	return t
}

// labelName returns the name inside a "{Name}" or "{Name+}" segment.
func labelName(s string) (string, bool) {
	if !strings.HasPrefix(s, "{") || !strings.HasSuffix(s, "}") {
		return "", false
	}
	name := s[1 : len(s)-1]
	if strings.TrimSuffix(name, "+") == "" || strings.ContainsAny(name, "{}") {
		return "", false
	}
	return name, true
}

// splitPath splits an escaped path into its segments, without the leading
// slash. "/" and "" give no segments; "/a/" gives ["a", ""].
func splitPath(p string) []string {
	p = strings.TrimPrefix(p, "/")
	if p == "" {
		return nil
	}
	return strings.Split(p, "/")
}

// matchPath matches escaped path segments against t and returns a
// specificity score (literal segments count most, greedy labels least).
// With labels != nil it also stores the unescaped label values there.
func (t *template) matchPath(req []string, labels map[string]string) (int, bool) {
	if t.greedy < 0 {
		// Without a greedy label a trailing slash carries nothing.
		if n := len(req); n > 0 && req[n-1] == "" {
			req = req[:n-1]
		}
		if len(req) != len(t.segs) {
			return 0, false
		}
	} else if len(req) < len(t.segs) {
		return 0, false
	}
	after := 0 // segments after the greedy one
	if t.greedy >= 0 {
		after = len(t.segs) - t.greedy - 1
	}
	score := 0
	for i, s := range t.segs {
		var raw string
		switch {
		case t.greedy >= 0 && i > t.greedy:
			raw = req[len(req)-after+(i-t.greedy-1)]
		case i == t.greedy:
			g := req[i : len(req)-after]
			if labels == nil { // matching only: non-empty is all that counts
				if len(g) == 1 && g[0] == "" {
					return 0, false
				}
				for _, x := range g {
					if strings.IndexByte(x, '%') >= 0 {
						if _, err := url.PathUnescape(x); err != nil {
							return 0, false
						}
					}
				}
				score++
				continue
			}
			raw = strings.Join(g, "/")
		default:
			raw = req[i]
		}
		if s.label == "" {
			if raw != s.lit {
				if u, err := url.PathUnescape(raw); err != nil || u != s.lit {
					return 0, false
				}
			}
			score += 100
			continue
		}
		if raw == "" {
			return 0, false
		}
		if s.greedy {
			score++
		} else {
			score += 10
		}
		if labels != nil || strings.IndexByte(raw, '%') >= 0 {
			v, err := url.PathUnescape(raw)
			if err != nil || v == "" {
				return 0, false
			}
			if labels != nil {
				labels[s.label] = v
			}
		}
	}
	return score, true
}

// matchQuery checks the literal query part. It returns its score.
func (t *template) matchQuery(q url.Values) (int, bool) {
	score := 0
	for _, l := range t.query {
		vs, ok := q[l.key]
		if !ok {
			return 0, false
		}
		if l.hasValue && (len(vs) == 0 || vs[0] != l.value) {
			return 0, false
		}
		score += 100
	}
	return score, true
}

// checkEncodedSeparators refuses a percent-encoded '/' or '\' in a label
// that is not greedy. For S3 that is the bucket: no bucket name holds
// either, and a front end that decodes the path before it splits off the
// bucket reads "/protected%2Fx/k" as bucket "protected", key "x/k", where
// the gateway read bucket "protected/x". Greedy labels (S3 keys) keep them
// literally. req must have matched t.
func (t *template) checkEncodedSeparators(req []string) error {
	after := 0
	if t.greedy >= 0 {
		after = len(t.segs) - t.greedy - 1
	}
	for i, s := range t.segs {
		if s.label == "" || s.greedy {
			continue
		}
		raw := req[i]
		if t.greedy >= 0 && i > t.greedy {
			raw = req[len(req)-after+(i-t.greedy-1)]
		}
		u := strings.ToUpper(raw)
		if strings.Contains(u, "%2F") || strings.Contains(u, "%5C") {
			return fmt.Errorf("%w: path label %s is %q, with a percent-encoded '/' or '\\' that servers may read as a path separator",
				ErrAmbiguousRequest, s.label, raw)
		}
	}
	return nil
}
