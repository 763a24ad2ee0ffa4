package redact

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"

	"github.com/fxamacker/cbor/v2"
	"github.com/go-json-experiment/json/jsontext"

	"github.com/jitgate/jitgate/internal/redact/detect"
)

// propertyRules switch on every detector, a custom regex, an allow list,
// field rules and every replacement mode.
func propertyEngines(t testing.TB) []*Engine {
	all := []string{}
	for _, k := range detect.Kinds() {
		all = append(all, k.String())
	}
	var out []*Engine
	for _, mode := range []Replace{{}, {Mode: ModeLast, Keep: 3}, {Mode: ModePlaceholder}, {Mode: ModeHash}} {
		e, err := New([]Rule{
			{Name: "all", Detectors: all, Custom: []Custom{{Name: "emp", Regex: `EMP-[0-9]{4}`}}, Allow: []string{"keep@example.com"}, Replace: mode},
			{Name: "fields", Fields: []string{"secret*", "Item.card"}, Replace: mode},
		}, WithHashKey(testHashKey))
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, e)
	}
	return out
}

// pieces are the fragments generated strings are made of: detector
// positives, look-alikes, text that needs escaping, and plain words.
var pieces = []string{
	"bob@example.com", "keep@example.com", "+1 (415) 555-0100", "4111 1111 1111 1111", "4111111111111112",
	"GB82WEST12345698765432", "GB83WEST12345698765432", "123-45-6789", "000-12-3456", "AKIAIOSFODNN7EXAMPLE",
	"secret wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2ln",
	"-----BEGIN PRIVATE KEY-----\nMIIE\n-----END PRIVATE KEY-----", "10.0.0.1", "1.2.3.4.5", "2001:db8::1",
	"EMP-1234", "v1.2.3", "2024-01-15T10:30:00Z", "550e8400-e29b-41d4-a716-446655440000",
	"arn:aws:iam::123456789012:role/x", "<&>\"'", "é ü 日本", "\t", " ", "order", "42", "",
}

func genString(rng *rand.Rand) string {
	var b strings.Builder
	for range rng.IntN(4) {
		if b.Len() > 0 {
			b.WriteByte(" ,;:/"[rng.IntN(5)])
		}
		b.WriteString(pieces[rng.IntN(len(pieces))])
	}
	return b.String()
}

var names = []string{"note", "Item", "card", "secretValue", "list", "n", "S", "N", "email"}

// genValue builds a random JSON-able tree.
func genValue(rng *rand.Rand, depth int) any {
	switch k := rng.IntN(6); {
	case depth > 3 || k < 3:
		if k == 0 {
			return float64(rng.IntN(1000))
		}
		return genString(rng)
	case k == 3:
		a := make([]any, rng.IntN(4))
		for i := range a {
			a[i] = genValue(rng, depth+1)
		}
		return a
	default:
		m := map[string]any{}
		for range rng.IntN(5) {
			m[names[rng.IntN(len(names))]] = genValue(rng, depth+1)
		}
		return m
	}
}

// changedOnlyWhereDetected walks in and out in parallel: every string
// that differs must be under a selected field or hold a detector match.
func changedOnlyWhereDetected(t *testing.T, in, out any, selected bool, where string) {
	t.Helper()
	switch a := in.(type) {
	case map[string]any:
		b, ok := out.(map[string]any)
		if !ok || len(a) != len(b) {
			t.Fatalf("%s: object became %T", where, out)
		}
		for k, v := range a {
			sel := selected || strings.HasPrefix(strings.ToLower(k), "secret") || (k == "card" && strings.HasSuffix(where, ".Item"))
			changedOnlyWhereDetected(t, v, b[k], sel, where+"."+k)
		}
	case []any:
		b, ok := out.([]any)
		if !ok || len(a) != len(b) {
			t.Fatalf("%s: array became %T", where, out)
		}
		for i := range a {
			changedOnlyWhereDetected(t, a[i], b[i], selected, where)
		}
	case string:
		b, ok := out.(string)
		if !ok {
			t.Fatalf("%s: string became %T", where, out)
		}
		if a != b && !selected && !anyDetected(a) {
			t.Fatalf("%s: %q changed to %q without a match", where, a, b)
		}
	default:
		if fmt.Sprint(in) != fmt.Sprint(out) {
			t.Fatalf("%s: %v changed to %v", where, in, out)
		}
	}
}

func anyDetected(s string) bool {
	for _, k := range detect.Kinds() {
		if len(detect.Find(k, []byte(s), detect.Context{SecretName: true}, nil)) > 0 {
			return true
		}
	}
	return strings.Contains(s, "EMP-")
}

// TestPropertyJSONAndCBOR: for random documents and every replacement
// mode, the output is valid, has the same structure and types, and only
// strings with a match (or under a selected field) change.
func TestPropertyJSONAndCBOR(t *testing.T) {
	engines := propertyEngines(t)
	rng := rand.New(rand.NewPCG(1, 2))
	em, err := cbor.CoreDetEncOptions().EncMode()
	if err != nil {
		t.Fatal(err)
	}
	changed := 0
	defer func() {
		if changed < 100 {
			t.Errorf("only %d of 300 documents changed: the generator does not exercise the detectors", changed)
		}
	}()
	for i := range 300 {
		doc := map[string]any{"Item": genValue(rng, 0), "note": genValue(rng, 1)}
		e := engines[i%len(engines)]
		js, _ := json.Marshal(doc)
		res, err := e.Body("application/json", "svc", "Op", js)
		if err != nil {
			t.Fatalf("json %s: %v", js, err)
		}
		if res.Changed {
			changed++
		}
		if !jsontext.Value(res.Body).IsValid() {
			t.Fatalf("invalid JSON out of %s: %s", js, res.Body)
		}
		var a, b any
		_ = json.Unmarshal(js, &a)
		if err := json.Unmarshal(res.Body, &b); err != nil {
			t.Fatal(err)
		}
		changedOnlyWhereDetected(t, a, b, false, "$")

		cb, err := em.Marshal(doc)
		if err != nil {
			t.Fatal(err)
		}
		cres, err := e.Body("application/cbor", "svc", "Op", cb)
		if err != nil {
			t.Fatalf("cbor: %v", err)
		}
		var ca, cbOut any
		dm, _ := cbor.DecOptions{DefaultMapType: reflect.TypeOf(map[string]any(nil))}.DecMode()
		if err := dm.Unmarshal(cb, &ca); err != nil {
			t.Fatal(err)
		}
		if err := dm.Unmarshal(cres.Body, &cbOut); err != nil {
			t.Fatalf("invalid CBOR out: %v", err)
		}
		changedOnlyWhereDetected(t, ca, cbOut, false, "$")
	}
}

// TestPropertyXML: the same for XML element text.
func TestPropertyXML(t *testing.T) {
	engines := propertyEngines(t)
	rng := rand.New(rand.NewPCG(3, 4))
	for i := range 300 {
		var b bytes.Buffer
		b.WriteString("<R>")
		var texts []string
		var sel []bool
		for range rng.IntN(6) + 1 {
			name := names[rng.IntN(len(names))]
			s := genString(rng)
			texts = append(texts, s)
			sel = append(sel, strings.HasPrefix(strings.ToLower(name), "secret"))
			if rng.IntN(4) == 0 {
				fmt.Fprintf(&b, "<%s><![CDATA[%s]]></%s>", name, strings.ReplaceAll(s, "]]>", ""), name)
				texts[len(texts)-1] = strings.ReplaceAll(s, "]]>", "")
				continue
			}
			fmt.Fprintf(&b, "<%s>", name)
			_ = xml.EscapeText(&b, []byte(s))
			fmt.Fprintf(&b, "</%s>", name)
		}
		b.WriteString("</R>")
		in := b.Bytes()
		res, err := engines[i%len(engines)].Body("text/xml", "svc", "Op", in)
		if err != nil {
			t.Fatalf("%s: %v", in, err)
		}
		assertSameXMLShape(t, in, res.Body)
		got := xmlTexts(t, res.Body)
		want := xmlTexts(t, in)
		if len(got) != len(want) {
			t.Fatalf("texts %q -> %q", want, got)
		}
		for k := range want {
			if got[k] != want[k] && !sel[k] && !anyDetected(want[k]) {
				t.Fatalf("%q changed to %q without a match", want[k], got[k])
			}
		}
	}
}

// xmlTexts returns the text of each child element of the root, in order.
func xmlTexts(t *testing.T, b []byte) []string {
	dec := xml.NewDecoder(bytes.NewReader(b))
	var out []string
	depth := 0
	for {
		tok, err := dec.Token()
		if err != nil {
			return out
		}
		switch tt := tok.(type) {
		case xml.StartElement:
			depth++
			if depth == 2 {
				out = append(out, "")
			}
		case xml.EndElement:
			depth--
		case xml.CharData:
			if depth == 2 {
				out[len(out)-1] += string(tt)
			}
		}
	}
}
