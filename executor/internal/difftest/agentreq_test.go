package difftest

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"

	"github.com/jitgate/jitgate/internal/awsmodel"
	corpus "github.com/jitgate/jitgate/internal/awsmodel/difftest"
)

// agentReq is an agent request being mutated. The agent holds valid
// credentials, so it signs whatever it sends: request() signs every header
// except those in unsigned.
type agentReq struct {
	method   string
	svc      string // "/svc/<id>" prefix, or ""
	path     string // escaped path after the prefix
	query    string // raw query
	header   http.Header
	body     []byte
	unsigned map[string]bool // lowercase names left out of SignedHeaders
}

func fromEntry(e *corpus.Entry) agentReq {
	a := agentReq{method: e.Method, header: http.Header{}, body: slices.Clone(e.Body), unsigned: map[string]bool{}}
	a.path, a.query, _ = strings.Cut(e.Target, "?")
	if id, rest, ok := awsmodel.SplitServicePath(a.path); ok {
		a.svc, a.path = "/svc/"+id, rest
		if a.path == "" {
			a.path = "/"
		}
	}
	for k, v := range e.Headers {
		a.header.Set(k, v)
	}
	return a
}

func (a agentReq) clone() agentReq {
	b := a
	b.header = a.header.Clone()
	b.body = slices.Clone(a.body)
	b.unsigned = map[string]bool{}
	for k, v := range a.unsigned {
		b.unsigned[k] = v
	}
	return b
}

// request builds the signed request as the ingress receives it.
func (a agentReq) request() (*http.Request, []byte) {
	target := a.svc + a.path
	if a.query != "" {
		target += "?" + a.query
	}
	r := httptest.NewRequest(a.method, "http://127.0.0.1:8443/", bytes.NewReader(a.body))
	r.URL = mustURL(target)
	r.RequestURI = target
	r.Header = a.header.Clone()
	r.Header.Del("Content-Length")
	r.ContentLength = int64(len(a.body))
	names := []string{"host"}
	for k := range r.Header {
		if l := strings.ToLower(k); l != "authorization" && !a.unsigned[l] {
			names = append(names, l)
		}
	}
	slices.Sort(names)
	auth := r.Header.Get("Authorization")
	if i := strings.Index(auth, "SignedHeaders="); i >= 0 {
		rest := auth[i+len("SignedHeaders="):]
		end := strings.IndexByte(rest, ',')
		if end < 0 {
			end = len(rest)
		}
		r.Header.Set("Authorization", auth[:i]+"SignedHeaders="+strings.Join(names, ";")+rest[end:])
	}
	return r, a.body
}

func mustURL(target string) *url.URL {
	u, err := url.ParseRequestURI(target)
	if err != nil {
		// A mutation may write an invalid escape; keep it raw so that
		// Identify sees what the agent sent.
		p, q, _ := strings.Cut(target, "?")
		return &url.URL{Path: p, RawPath: p, RawQuery: q}
	}
	return u
}
