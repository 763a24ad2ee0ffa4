package sigv4

import (
	"net/http"
	"slices"
	"testing"
)

func TestCanonicalQuery(t *testing.T) {
	tests := []struct {
		name, raw, skip, want string
	}{
		{name: "empty", raw: "", want: ""},
		{name: "sorted by name then value", raw: "b=2&a=1&a=0", want: "a=0&a=1&b=2"},
		{name: "name without value", raw: "acl", want: "acl="},
		{name: "plus is a space", raw: "x=a+b", want: "x=a%20b"},
		{name: "encoded plus stays plus", raw: "x=a%2Bb", want: "x=a%2Bb"},
		{name: "unreserved decoded", raw: "k=%7e%2D%5F%2E", want: "k=~-_."},
		{name: "reserved encoded upper-case", raw: "prefix=a%2fb%3dc&delimiter=/", want: "delimiter=%2F&prefix=a%2Fb%3Dc"},
		{name: "unicode", raw: "k=%C3%BC", want: "k=%C3%BC"},
		{name: "empty pieces skipped", raw: "a=1&&b=2&", want: "a=1&b=2"},
		{name: "signature skipped", raw: "X-Amz-Signature=abc&X-Amz-Date=1", skip: "X-Amz-Signature", want: "X-Amz-Date=1"},
		{name: "sorted by encoded name", raw: "%7E=1&Z=2&a=3", want: "Z=2&a=3&~=1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pairs, err := parseQuery(tt.raw)
			if err != nil {
				t.Fatal(err)
			}
			if got := canonicalQuery(pairs, tt.skip); got != tt.want {
				t.Errorf("canonicalQuery(%q) = %q, want %q", tt.raw, got, tt.want)
			}
		})
	}
	if _, err := parseQuery("a=%zz"); err == nil {
		t.Error("bad escape accepted")
	}
}

func TestCanonicalURIs(t *testing.T) {
	tests := []struct {
		name, path, service string
		want                []string
	}{
		{name: "s3 as sent", path: "/bucket/a%20b%2Bc//d/../e", service: "s3", want: []string{"/bucket/a%20b%2Bc//d/../e"}},
		{name: "s3express as sent", path: "/k%3A", service: "s3express", want: []string{"/k%3A"}},
		{name: "lambda encoded twice", path: "/2015-03-31/functions/a%3Ab/invocations", service: "lambda", want: []string{"/2015-03-31/functions/a%253Ab/invocations"}},
		{name: "root", path: "/", service: "dynamodb", want: []string{"/"}},
		{name: "dot segments give a normalised candidate", path: "/a/./b//c/../d", service: "apigateway", want: []string{"/a/./b//c/../d", "/a/b/d"}},
		{name: "trailing slash kept", path: "/a/b/", service: "es", want: []string{"/a/b/"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := canonicalURIs(tt.path, tt.service); !slices.Equal(got, tt.want) {
				t.Errorf("canonicalURIs(%q, %s) = %q, want %q", tt.path, tt.service, got, tt.want)
			}
		})
	}
}

func TestCanonicalHeaders(t *testing.T) {
	r, _ := http.NewRequest("PUT", "http://example.test:8080/x", http.NoBody)
	r.ContentLength = 42
	r.Header.Add("X-Amz-Meta-A", "  one   two\t three ")
	r.Header.Add("X-Amz-Meta-A", "four")
	r.Header.Set("X-Amz-Date", "20261126T123456Z")
	got := canonicalHeaders(r, []string{"content-length", "host", "x-amz-date", "x-amz-meta-a", "x-amz-missing"})
	want := "content-length:42\nhost:example.test:8080\nx-amz-date:20261126T123456Z\nx-amz-meta-a:one two three,four\nx-amz-missing:\n"
	if got != want {
		t.Errorf("canonicalHeaders =\n%q\nwant\n%q", got, want)
	}
}
