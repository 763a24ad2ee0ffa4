package difftest

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/jitgate/jitgate/internal/awsmodel"
	corpus "github.com/jitgate/jitgate/internal/awsmodel/difftest"
)

// mctx is what mutations may consult.
type mctx struct {
	ix  *awsmodel.Index
	ops map[string][]string // service -> operation names in the corpus
}

// other is another operation of the service, a Delete* one when the
// corpus has one: the operation an attacker would steer to.
func (m *mctx) other(service, not string) string {
	var pick string
	for _, o := range m.ops[service] {
		if o == not {
			continue
		}
		if pick == "" || strings.HasPrefix(o, "Delete") && !strings.HasPrefix(pick, "Delete") {
			pick = o
		}
	}
	if pick == "" {
		pick = "DeleteEverything"
	}
	return pick
}

type mutation struct {
	name  string
	apply func(m *mctx, e *corpus.Entry, a agentReq) (agentReq, bool)
}

const evil = "zz-other"

func isREST(e *corpus.Entry) bool  { return strings.HasPrefix(e.Protocol, "rest-") }
func isForm(e *corpus.Entry) bool  { return e.Protocol == "query" || e.Protocol == "ec2" }
func isJSONB(e *corpus.Entry) bool { return e.Protocol == "json" || e.Protocol == "rest-json" }

// insertAfterFirst inserts s after the path's first segment.
func insertAfterFirst(p, s string) string {
	rest := strings.TrimPrefix(p, "/")
	first, tail, ok := strings.Cut(rest, "/")
	if !ok {
		return "/" + first + s
	}
	return "/" + first + s + "/" + tail
}

func firstQueryKey(raw string) string {
	for _, kv := range strings.Split(raw, "&") {
		k, _, _ := strings.Cut(kv, "=")
		if k != "" && k != "x-id" && !strings.HasPrefix(strings.ToLower(k), "x-amz-") {
			return k
		}
	}
	return ""
}

func addQuery(raw, kv string) string {
	if raw == "" {
		return kv
	}
	return raw + "&" + kv
}

func firstFormKey(body []byte) string {
	for _, kv := range strings.Split(string(body), "&") {
		k, _, _ := strings.Cut(kv, "=")
		if k != "" && k != "Action" && k != "Version" {
			return k
		}
	}
	return ""
}

// firstJSONKey is the first top-level key of a JSON object body.
func firstJSONKey(body []byte) string {
	d := json.NewDecoder(bytes.NewReader(body))
	if t, err := d.Token(); err != nil || t != json.Delim('{') || !d.More() {
		return ""
	}
	t, err := d.Token()
	if err != nil {
		return ""
	}
	return t.(string)
}

// addJSONMember appends "k":v to a JSON object body.
func addJSONMember(body []byte, k string, v string) []byte {
	b := bytes.TrimRight(body, " \n")
	if len(b) == 0 || b[len(b)-1] != '}' {
		return nil
	}
	kv, _ := json.Marshal(k)
	vv, _ := json.Marshal(v)
	sep := ","
	if bytes.Equal(bytes.TrimSpace(b), []byte("{}")) {
		sep = ""
	}
	out := append(slices.Clone(b[:len(b)-1]), sep...)
	out = append(out, kv...)
	out = append(out, ':')
	out = append(out, vv...)
	return append(out, '}')
}

func swapCase(s string) string {
	if l := strings.ToLower(s); l != s {
		return l
	}
	return strings.ToUpper(s)
}

var mutations = []mutation{
	{"none", func(_ *mctx, _ *corpus.Entry, a agentReq) (agentReq, bool) { return a, true }},
	// Path.
	{"path/dot-segment-inserted", func(_ *mctx, _ *corpus.Entry, a agentReq) (agentReq, bool) {
		a.path = insertAfterFirst(a.path, "/x/..")
		return a, true
	}},
	{"path/dot-segment-appended", func(_ *mctx, e *corpus.Entry, a agentReq) (agentReq, bool) {
		a.path = strings.TrimSuffix(a.path, "/") + "/.."
		return a, a.path != "/.."
	}},
	{"path/encoded-dot-segment", func(_ *mctx, _ *corpus.Entry, a agentReq) (agentReq, bool) {
		a.path = insertAfterFirst(a.path, "/x/%2E%2E")
		return a, true
	}},
	{"path/empty-segment", func(_ *mctx, _ *corpus.Entry, a agentReq) (agentReq, bool) {
		a.path = insertAfterFirst(a.path, "/")
		return a, true
	}},
	{"path/percent-encoded-letter", func(_ *mctx, _ *corpus.Entry, a agentReq) (agentReq, bool) {
		for i := 0; i < len(a.path); i++ {
			if c := a.path[i]; c >= 'a' && c <= 'z' {
				a.path = a.path[:i] + fmt.Sprintf("%%%02X", c) + a.path[i+1:]
				return a, true
			}
		}
		return a, false
	}},
	{"path/encoded-slash", func(_ *mctx, _ *corpus.Entry, a agentReq) (agentReq, bool) {
		i := strings.IndexByte(a.path[1:], '/')
		if i < 0 {
			return a, false
		}
		a.path = a.path[:i+1] + "%2F" + a.path[i+2:]
		return a, true
	}},
	{"path/double-svc-prefix", func(_ *mctx, _ *corpus.Entry, a agentReq) (agentReq, bool) {
		if a.svc == "" {
			return a, false
		}
		a.path = a.svc + a.path
		return a, true
	}},
	{"path/encoded-svc-prefix", func(_ *mctx, _ *corpus.Entry, a agentReq) (agentReq, bool) {
		if a.svc == "" {
			return a, false
		}
		a.svc = strings.Replace(a.svc, "/svc/", "/svc%2F", 1)
		return a, true
	}},
	// Query.
	{"query/duplicate-key", func(_ *mctx, _ *corpus.Entry, a agentReq) (agentReq, bool) {
		k := firstQueryKey(a.query)
		a.query = addQuery(a.query, k+"="+evil)
		return a, k != ""
	}},
	{"query/case-variant-key", func(_ *mctx, _ *corpus.Entry, a agentReq) (agentReq, bool) {
		k := firstQueryKey(a.query)
		a.query = addQuery(a.query, swapCase(k)+"="+evil)
		return a, k != ""
	}},
	{"query/unmodelled-key", func(_ *mctx, _ *corpus.Entry, a agentReq) (agentReq, bool) {
		a.query = addQuery(a.query, "jitgate-unmodelled="+evil)
		return a, true
	}},
	{"query/sub-resource", func(_ *mctx, e *corpus.Entry, a agentReq) (agentReq, bool) {
		a.query = addQuery(a.query, "acl")
		return a, isREST(e)
	}},
	{"query/x-id-other-operation", func(m *mctx, e *corpus.Entry, a agentReq) (agentReq, bool) {
		a.query = addQuery(a.query, "x-id="+m.other(e.Service, e.Operation))
		return a, isREST(e)
	}},
	{"query/action-in-url", func(m *mctx, e *corpus.Entry, a agentReq) (agentReq, bool) {
		a.query = addQuery(a.query, "Action="+m.other(e.Service, e.Operation))
		return a, true
	}},
	// Query-protocol forms.
	{"form/duplicate-param", func(_ *mctx, e *corpus.Entry, a agentReq) (agentReq, bool) {
		k := firstFormKey(a.body)
		a.body = append(a.body, "&"+k+"="+evil...)
		return a, isForm(e) && k != ""
	}},
	{"form/action-twice", func(m *mctx, e *corpus.Entry, a agentReq) (agentReq, bool) {
		a.body = append(a.body, "&Action="+m.other(e.Service, e.Operation)...)
		return a, isForm(e)
	}},
	{"form/case-variant-action", func(m *mctx, e *corpus.Entry, a agentReq) (agentReq, bool) {
		a.body = append(a.body, "&action="+m.other(e.Service, e.Operation)...)
		return a, isForm(e)
	}},
	{"form/param-moved-to-url", func(_ *mctx, e *corpus.Entry, a agentReq) (agentReq, bool) {
		k := firstFormKey(a.body)
		f, err := url.ParseQuery(string(a.body))
		if !isForm(e) || k == "" || err != nil {
			return a, false
		}
		uk, _ := url.QueryUnescape(k)
		v := f.Get(uk)
		f.Del(uk)
		a.body = []byte(f.Encode())
		a.query = addQuery(a.query, url.QueryEscape(uk)+"="+url.QueryEscape(v))
		return a, true
	}},
	{"form/index-with-leading-zero", func(_ *mctx, e *corpus.Entry, a agentReq) (agentReq, bool) {
		b := strings.Replace(string(a.body), ".1.", ".01.", 1)
		ok := isForm(e) && b != string(a.body)
		a.body = []byte(b)
		return a, ok
	}},
	{"form/param-in-url-and-body", func(_ *mctx, e *corpus.Entry, a agentReq) (agentReq, bool) {
		k := firstFormKey(a.body)
		a.query = addQuery(a.query, k+"="+evil)
		return a, isForm(e) && k != ""
	}},
	// JSON bodies.
	{"json/duplicate-key", func(_ *mctx, e *corpus.Entry, a agentReq) (agentReq, bool) {
		k := firstJSONKey(a.body)
		a.body = addJSONMember(a.body, k, evil)
		return a, isJSONB(e) && k != "" && a.body != nil
	}},
	{"json/case-variant-key", func(_ *mctx, e *corpus.Entry, a agentReq) (agentReq, bool) {
		k := firstJSONKey(a.body)
		a.body = addJSONMember(a.body, swapCase(k), evil)
		return a, isJSONB(e) && k != "" && a.body != nil
	}},
	{"json/re-cased-key", func(_ *mctx, e *corpus.Entry, a agentReq) (agentReq, bool) {
		k := firstJSONKey(a.body)
		if !isJSONB(e) || k == "" || swapCase(k) == k {
			return a, false
		}
		a.body = bytes.Replace(a.body, []byte(`"`+k+`":`), []byte(`"`+swapCase(k)+`":`), 1)
		return a, true
	}},
	{"json/member-in-url", func(_ *mctx, e *corpus.Entry, a agentReq) (agentReq, bool) {
		k := firstJSONKey(a.body)
		a.query = addQuery(a.query, url.QueryEscape(k)+"="+evil)
		return a, isJSONB(e) && k != ""
	}},
	// Headers.
	{"header/extra-x-amz", func(_ *mctx, _ *corpus.Entry, a agentReq) (agentReq, bool) {
		a.header.Set("X-Amz-Jitgate-Extra", evil)
		return a, true
	}},
	{"header/unsigned-copy-source", func(_ *mctx, e *corpus.Entry, a agentReq) (agentReq, bool) {
		a.header.Set("X-Amz-Copy-Source", "other-bucket/secret")
		a.unsigned["x-amz-copy-source"] = true
		return a, isREST(e)
	}},
	{"header/duplicate-value", func(_ *mctx, _ *corpus.Entry, a agentReq) (agentReq, bool) {
		names := make([]string, 0, len(a.header))
		for k := range a.header {
			l := strings.ToLower(k)
			if strings.HasPrefix(l, "x-amz-") && l != "x-amz-date" && l != "x-amz-security-token" && l != "x-amz-content-sha256" {
				names = append(names, k)
			}
		}
		if len(names) == 0 {
			return a, false
		}
		sort.Strings(names)
		a.header.Add(names[0], evil)
		return a, true
	}},
	{"header/form-content-type-on-json", func(_ *mctx, e *corpus.Entry, a agentReq) (agentReq, bool) {
		a.header.Set("Content-Type", "application/x-www-form-urlencoded")
		return a, e.Protocol == "json" || e.Protocol == "smithy-rpc-v2-cbor"
	}},
	{"header/form-body-under-target", func(m *mctx, e *corpus.Entry, a agentReq) (agentReq, bool) {
		info, _ := m.ix.Service(e.Service)
		a.header.Set("Content-Type", "application/x-www-form-urlencoded")
		a.body = []byte("Action=" + m.other(e.Service, e.Operation) + "&Version=" + info.APIVersion)
		return a, e.Protocol == "json"
	}},
	{"header/target-on-query-request", func(m *mctx, e *corpus.Entry, a agentReq) (agentReq, bool) {
		info, _ := m.ix.Service(e.Service)
		prefix := info.TargetPrefix
		if prefix == "" {
			prefix = "DynamoDB_20120810"
		}
		a.header.Set("X-Amz-Target", prefix+"."+m.other(e.Service, e.Operation))
		a.header.Set("Content-Type", "application/x-amz-json-1.0")
		return a, isForm(e)
	}},
	{"header/method-override", func(_ *mctx, _ *corpus.Entry, a agentReq) (agentReq, bool) {
		a.header.Set("X-HTTP-Method-Override", "DELETE")
		return a, true
	}},
	{"header/other-charset", func(_ *mctx, e *corpus.Entry, a agentReq) (agentReq, bool) {
		ct := a.header.Get("Content-Type")
		if ct == "" || isREST(e) {
			return a, false
		}
		if i := strings.IndexByte(ct, ';'); i >= 0 {
			ct = ct[:i]
		}
		a.header.Set("Content-Type", ct+"; charset=utf-16")
		return a, true
	}},
	{"header/smithy-protocol-on-json", func(_ *mctx, e *corpus.Entry, a agentReq) (agentReq, bool) {
		a.header.Set("Smithy-Protocol", "rpc-v2-cbor")
		return a, e.Protocol == "json" || isForm(e)
	}},
}

// entries are the corpus and the Go SDK sample.
func entries(t testing.TB) ([]corpus.Entry, *mctx) {
	t.Helper()
	ix, err := awsmodel.Load()
	if err != nil {
		t.Fatal(err)
	}
	c, err := corpus.Load()
	if err != nil {
		t.Fatal(err)
	}
	sdk, err := corpus.GoSDKEntries(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	all := append(slices.Clone(c.Entries), sdk...)
	m := &mctx{ix: ix, ops: map[string][]string{}}
	for _, e := range all {
		if !slices.Contains(m.ops[e.Service], e.Operation) {
			m.ops[e.Service] = append(m.ops[e.Service], e.Operation)
		}
	}
	for _, ops := range m.ops {
		sort.Strings(ops)
	}
	return all, m
}

// TestMutations: every mutation of every corpus and Go SDK request is
// refused, or read identically by the gateway and (both ways) upstream.
// Each class reports its count and at most two examples.
func TestMutations(t *testing.T) {
	all, m := entries(t)
	for _, mu := range mutations {
		t.Run(mu.name, func(t *testing.T) {
			var applied, refused, diffs int
			for i := range all {
				e := &all[i]
				a, ok := mu.apply(m, e, fromEntry(e).clone())
				if !ok {
					continue
				}
				applied++
				r, body := a.request()
				out, err := check(m.ix, r, body)
				switch {
				case errors.Is(err, errDifferential):
					diffs++
					if diffs <= 2 {
						t.Errorf("%s: %s %s: %v", e.Name(), r.Method, r.URL.RequestURI(), err)
					}
				case err != nil:
					t.Fatalf("%s: %v", e.Name(), err)
				case out.refused != nil:
					refused++
				}
			}
			if applied == 0 {
				t.Fatalf("mutation applies to no request")
			}
			if diffs > 0 {
				t.Errorf("%d of %d mutated requests have two readings (%d refused)", diffs, applied, refused)
			}
			t.Logf("%d mutated requests: %d refused, %d identified identically", applied, refused, applied-refused-diffs)
		})
	}
}
