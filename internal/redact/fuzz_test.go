package redact

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/go-json-experiment/json/jsontext"
)

// fuzzRules add a glob and a dotted rule to the built-in ones.
var fuzzRules = []Rule{
	{Name: "glob", Fields: []string{"*pass*"}},
	{Name: "dotted", Fields: []string{"a.b"}},
}

func addSeeds(f *testing.F, ext string, extra ...string) {
	files, _ := filepath.Glob(filepath.Join("testdata", "*"+ext))
	for _, name := range files {
		b, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	for _, s := range extra {
		f.Add([]byte(s))
	}
}

// FuzzBodyJSON: valid JSON in means no error, valid JSON out with the same
// structure and names, and masking is idempotent.
func FuzzBodyJSON(f *testing.F) {
	addSeeds(f, ".json", `{"a":{"b":"x"},"Password":[1,"y",{"z":"w"}]}`, `[{"SessionToken":"t"}]`, `"s"`, `{"a\u0062":1}`, `{}`)
	e, err := New(fuzzRules)
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		res, err := e.Body("application/json", "svc", "Op", in)
		valid := len(bytes.TrimSpace(in)) == 0 || jsontext.Value(in).IsValid(jsontext.AllowDuplicateNames(true))
		if err != nil {
			if valid {
				t.Fatalf("valid JSON rejected: %v", err)
			}
			if !errors.Is(err, ErrInvalidBody) {
				t.Fatalf("error %v does not wrap ErrInvalidBody", err)
			}
			return
		}
		if !valid {
			t.Fatalf("invalid JSON accepted: %q", in)
		}
		if !res.Changed {
			if !bytes.Equal(res.Body, in) || len(res.Fields) != 0 {
				t.Fatalf("unchanged result differs from input or reports fields %q", res.Fields)
			}
			return
		}
		if len(res.Fields) == 0 {
			t.Fatal("changed without fields")
		}
		if !jsontext.Value(res.Body).IsValid(jsontext.AllowDuplicateNames(true)) {
			t.Fatalf("invalid output %q from %q", res.Body, in)
		}
		if a, b := jsonShape(t, in), jsonShape(t, res.Body); !slices.Equal(a, b) {
			t.Fatalf("structure changed:\n%q\n%q", a, b)
		}
		again, err := e.Body("application/json", "svc", "Op", res.Body)
		if err != nil || !bytes.Equal(again.Body, res.Body) {
			t.Fatalf("not idempotent: %v %q", err, again.Body)
		}
	})
}

// jsonShape lists token kinds, with member names and non-string scalars
// spelled out (string values are what masking may change).
func jsonShape(t *testing.T, b []byte) []string {
	dec := jsontext.NewDecoder(bytes.NewReader(b), jsontext.AllowDuplicateNames(true))
	var out []string
	for {
		tok, err := dec.ReadToken()
		if err != nil {
			return out
		}
		s := tok.Kind().String()
		if k, n := dec.StackIndex(dec.StackDepth()); tok.Kind() == '"' && k == '{' && n%2 == 1 {
			s += ":" + tok.String()
		} else if tok.Kind() == '0' || tok.Kind() == 't' || tok.Kind() == 'f' {
			s += ":" + tok.String()
		}
		out = append(out, s)
	}
}

// FuzzBodyXML: a document Go's decoder accepts is never rejected, and the
// output has the same elements, attributes and namespaces.
func FuzzBodyXML(f *testing.F) {
	addSeeds(f, ".xml", `<a><b>x</b><pass>y<![CDATA[z]]>&amp;</pass></a>`, `<r xmlns:p="urn:p"><p:SessionToken p:at="1"> v </p:SessionToken><!--c--></r>`)
	e, err := New(fuzzRules)
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		res, err := e.Body("text/xml", "svc", "Op", in)
		shape, shapeErr := xmlShape(in)
		valid := len(bytes.TrimSpace(in)) == 0 || (shapeErr == nil && slices.ContainsFunc(shape, func(s string) bool { return strings.HasPrefix(s, "<") && !strings.HasPrefix(s, "<?") }))
		if err != nil {
			if valid {
				t.Fatalf("valid XML rejected: %v", err)
			}
			return
		}
		if !valid {
			t.Fatalf("invalid XML accepted: %q", in)
		}
		if !res.Changed {
			if !bytes.Equal(res.Body, in) {
				t.Fatal("unchanged result differs from input")
			}
			return
		}
		assertSameXMLShape(t, in, res.Body)
		again, err := e.Body("text/xml", "svc", "Op", res.Body)
		if err != nil || !bytes.Equal(again.Body, res.Body) {
			t.Fatalf("not idempotent: %v %q", err, again.Body)
		}
	})
}

// FuzzDetectorsJSON: with every detector on, valid JSON in means valid
// JSON out with the same structure and names.
func FuzzDetectorsJSON(f *testing.F) {
	addSeeds(f, ".json", `{"a":"mail bob@x.com\n4111 1111 1111 1111"}`, `["10.0.0.1","\u0040x.com a@b.io"]`)
	e, err := New([]Rule{{Name: "all", Detectors: []string{"email", "phone", "card", "iban", "ssn", "aws_access_key_id", "aws_secret_key", "jwt", "private_key", "ip"}}})
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		if !jsontext.Value(in).IsValid(jsontext.AllowDuplicateNames(true)) {
			return
		}
		res, err := e.Body("application/json", "svc", "Op", in)
		if err != nil {
			t.Fatalf("valid JSON rejected: %v", err)
		}
		if !jsontext.Value(res.Body).IsValid(jsontext.AllowDuplicateNames(true)) {
			t.Fatalf("invalid output %q from %q", res.Body, in)
		}
		if a, b := jsonShape(t, in), jsonShape(t, res.Body); !slices.Equal(a, b) {
			t.Fatalf("structure changed:\n%q\n%q", a, b)
		}
	})
}
