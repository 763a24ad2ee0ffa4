package schemas

import (
	"net/http"
	"slices"
)

// HeadersFrom lists h as header lines, names sorted so that events are
// stable, each name's values in order. Names for which skip reports true are
// left out; skip may be nil.
func HeadersFrom(h http.Header, skip func(name string) bool) []Header {
	names := make([]string, 0, len(h))
	for name := range h {
		if skip == nil || !skip(name) {
			names = append(names, name)
		}
	}
	slices.Sort(names)
	var out []Header
	for _, name := range names {
		for _, v := range h[name] {
			out = append(out, Header{Name: name, Value: v})
		}
	}
	return out
}

// HTTPHeader turns header lines back into an http.Header.
func HTTPHeader(hs []Header) http.Header {
	h := make(http.Header, len(hs))
	for _, x := range hs {
		h.Add(x.Name, x.Value)
	}
	return h
}
