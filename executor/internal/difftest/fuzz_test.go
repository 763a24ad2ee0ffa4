package difftest

import (
	"errors"
	"net/http"
	"strings"
	"testing"
)

// FuzzDifferential runs the invariant of TestMutations on arbitrary
// requests: the method, the request target (path and query), headers
// ("Name: value" lines; the agent signs them all) and the body. Seeds are
// the corpus and Go SDK requests and one mutation of each class applied to
// the first request it fits.
func FuzzDifferential(f *testing.F) {
	all, m := entries(f)
	add := func(a agentReq) {
		var hs strings.Builder
		for k, vs := range a.header {
			for _, v := range vs {
				hs.WriteString(k + ": " + v + "\n")
			}
		}
		target := a.svc + a.path
		if a.query != "" {
			target += "?" + a.query
		}
		f.Add(a.method, target, hs.String(), a.body)
	}
	for i := range all {
		add(fromEntry(&all[i]))
	}
	for _, mu := range mutations {
		for i := range all {
			if a, ok := mu.apply(m, &all[i], fromEntry(&all[i]).clone()); ok {
				add(a)
				break
			}
		}
	}
	f.Fuzz(func(t *testing.T, method, target, headers string, body []byte) {
		if !strings.HasPrefix(target, "/") || strings.ContainsAny(target, " \r\n#") || method == "" || strings.ContainsAny(method, " \r\n") {
			return
		}
		a := agentReq{method: method, header: http.Header{}, body: body, unsigned: map[string]bool{}}
		a.path, a.query, _ = strings.Cut(target, "?")
		for _, line := range strings.Split(headers, "\n") {
			k, v, ok := strings.Cut(line, ": ")
			if !ok || k == "" || strings.ContainsAny(k, " :\r\t") || strings.ContainsAny(v, "\r") {
				continue
			}
			a.header.Add(k, v)
		}
		r, b := a.request()
		if _, err := check(m.ix, r, b); errors.Is(err, errDifferential) {
			t.Fatalf("%s %s: %v", method, target, err)
		} else if err != nil {
			t.Fatal(err)
		}
	})
}
