package awsmodel

import (
	"errors"
	"reflect"
	"strings"
	"testing"
)

func TestDecodeXMLObject(t *testing.T) {
	deep := strings.Repeat("<a>", maxXMLDepth+1) + "x" + strings.Repeat("</a>", maxXMLDepth+1)
	tests := []struct {
		name string
		body string
		want map[string]any
		err  error
	}{
		{"empty body", "  ", map[string]any{}, nil},
		{"empty root", "<Delete/>", map[string]any{}, nil},
		{"text keeps its spaces", "<R><K> a </K></R>", map[string]any{"K": " a "}, nil},
		{"CDATA is text", "<R><K><![CDATA[a<b]]></K></R>", map[string]any{"K": "a<b"}, nil},
		{"side-by-side siblings are a list", "<R><K>a</K><K>b</K><Q>1</Q></R>", map[string]any{"K": []any{"a", "b"}, "Q": "1"}, nil},
		{"namespace declarations are not members", `<R xmlns="urn:x" xmlns:p="urn:p"><K>a</K></R>`, map[string]any{"K": "a"}, nil},
		{"a prefix for the root's namespace is the same element", `<R xmlns="urn:x" xmlns:p="urn:x"><p:K>a</p:K></R>`, map[string]any{"K": "a"}, nil},
		{"element of another namespace", `<R xmlns="urn:x" xmlns:p="urn:p"><p:K>a</p:K></R>`, nil, ErrAmbiguousRequest},
		{"default namespace undone in a child", `<R xmlns="urn:x"><K xmlns="">a</K></R>`, nil, ErrAmbiguousRequest},
		{"attributes are @members", `<R><G t="x"><ID>1</ID></G></R>`, map[string]any{"G": map[string]any{"@t": "x", "ID": "1"}}, nil},
		{"attribute with text", `<R><G t="x">v</G></R>`, map[string]any{"G": map[string]any{"@t": "x", "#text": "v"}}, nil},
		{"nesting at the limit", strings.Repeat("<a>", maxXMLDepth) + strings.Repeat("</a>", maxXMLDepth), nil, nil},
		{"DOCTYPE", `<!DOCTYPE R><R/>`, nil, ErrAmbiguousRequest},
		{"external entity", `<!DOCTYPE R [<!ENTITY e SYSTEM "file:///etc/passwd">]><R><K>&e;</K></R>`, nil, ErrAmbiguousRequest},
		{"undeclared entity", `<R><K>&e;</K></R>`, nil, ErrMalformedRequest},
		{"comment", `<R><!-- x --><K>a</K></R>`, nil, ErrAmbiguousRequest},
		{"repeat not side by side", `<R><K>a</K><V>v</V><K>b</K></R>`, nil, ErrAmbiguousRequest},
		{"repeat of two kinds", `<R><K>a</K><K><X>b</X></K></R>`, nil, ErrAmbiguousRequest},
		{"text among elements", `<R>t<K>a</K></R>`, nil, ErrAmbiguousRequest},
		{"second root", `<R/><R/>`, nil, ErrAmbiguousRequest},
		{"too deep", deep, nil, ErrMalformedRequest},
		{"unterminated", `<R><K>a</K>`, nil, ErrMalformedRequest},
		{"non-UTF-8 encoding", `<?xml version="1.0" encoding="UTF-16"?><R/>`, nil, ErrMalformedRequest},
		{"text root", `<R>x</R>`, nil, ErrMalformedRequest},
		{"text after the root", `<R/>x`, nil, ErrMalformedRequest},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := decodeXMLObject([]byte(tt.body))
			if tt.err != nil {
				if !errors.Is(err, tt.err) {
					t.Fatalf("err = %v (got %#v), want %v", err, got, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if tt.want != nil && !reflect.DeepEqual(got, tt.want) { // nil: decoding is the point
				t.Errorf("got %#v, want %#v", got, tt.want)
			}
		})
	}
}

// FuzzDecodeXMLObject: the rest-xml body reader never panics, and fails only
// with the package's errors.
func FuzzDecodeXMLObject(f *testing.F) {
	f.Add([]byte(`<Delete xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Object><Key>a</Key></Object><Quiet>true</Quiet></Delete>`))
	f.Add([]byte(`<!DOCTYPE R [<!ENTITY e "x">]><R>&e;</R>`))
	f.Add([]byte(`<R><K>a</K><V/><K>b</K></R>`))
	f.Fuzz(func(t *testing.T, body []byte) {
		_, err := decodeXMLObject(body)
		if err != nil && !errors.Is(err, ErrAmbiguousRequest) && !errors.Is(err, ErrMalformedRequest) {
			t.Fatalf("error outside the package's sentinels: %v", err)
		}
	})
}
