package redact

import (
	"bytes"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/fxamacker/cbor/v2"
)

var testHashKey = []byte("0123456789abcdef-test-key")

// TestDetectorsInBodies: a detector masks the matched span inside a longer
// string, in every format, and leaves the rest of the value intact.
func TestDetectorsInBodies(t *testing.T) {
	e, err := New([]Rule{{Name: "pii", Detectors: []string{"email", "card"}}})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, ct, in, want string
	}{
		{"json span", "application/json", `{"note":"contact bob@x.com today"}`, `{"note":"contact [REDACTED by jitgate] today"}`},
		{"json escaped value", "application/json", `{"note":"line\nbob@x.com \u00e9"}`, `{"note":"line\n[REDACTED by jitgate] é"}`},
		{"json array and nesting", "application/json", `{"a":[{"b":"4111 1111 1111 1111"}],"n":4111111111111111}`, `{"a":[{"b":"[REDACTED by jitgate]"}],"n":4111111111111111}`},
		{"json member names untouched", "application/json", `{"bob@x.com":"x"}`, `{"bob@x.com":"x"}`},
		{"xml span", "text/xml", `<r><Note>mail bob@x.com now</Note></r>`, `<r><Note>mail [REDACTED by jitgate] now</Note></r>`},
		{"xml entity", "text/xml", `<r><Note>a &amp; bob@x.com</Note></r>`, `<r><Note>a &amp; [REDACTED by jitgate]</Note></r>`},
		{"xml attribute untouched", "text/xml", `<r a="bob@x.com"/>`, `<r a="bob@x.com"/>`},
		{"form", "application/x-www-form-urlencoded", `Action=Send&Body=hi+bob%40x.com`, `Action=Send&Body=hi+%5BREDACTED+by+jitgate%5D`},
		{"no match", "application/json", `{"note":"order 1234567812345670 at 10:30"}`, `{"note":"order 1234567812345670 at 10:30"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, err := e.Body(tt.ct, "sqs", "ReceiveMessage", []byte(tt.in))
			if err != nil {
				t.Fatal(err)
			}
			if string(res.Body) != tt.want {
				t.Fatalf("got  %s\nwant %s", res.Body, tt.want)
			}
			if res.Changed != (tt.in != tt.want) {
				t.Fatalf("Changed = %v", res.Changed)
			}
		})
	}
}

func TestDetectorsCBOR(t *testing.T) {
	e, err := New([]Rule{{Name: "pii", Detectors: []string{"email"}, Replace: Replace{Mode: ModePlaceholder}}})
	if err != nil {
		t.Fatal(err)
	}
	in := cborOf(t, map[string]any{"note": "to bob@x.com", "blob": []byte("bob@x.com"), "n": 5})
	res, err := e.Body("application/cbor", "monitoring", "GetMetricData", in)
	if err != nil {
		t.Fatal(err)
	}
	var got map[string]any
	if err := cbor.Unmarshal(res.Body, &got); err != nil {
		t.Fatal(err)
	}
	if got["note"] != "to [EMAIL]" || !bytes.Equal(got["blob"].([]byte), []byte("bob@x.com")) {
		t.Fatalf("decoded %v", got)
	}
}

// TestReplacements: each mode, for field and detector matches, keeping
// the body's types valid.
func TestReplacements(t *testing.T) {
	tests := []struct {
		name    string
		rule    Rule
		service string
		in      string
		want    string
	}{
		{"field full", Rule{Fields: []string{"ssn"}}, "x", `{"ssn":"123-45-6789"}`, `{"ssn":"[REDACTED by jitgate]"}`},
		{"field last 4", Rule{Fields: []string{"card"}, Replace: Replace{Mode: ModeLast, Keep: 4}}, "x", `{"card":"4111111111111111"}`, `{"card":"************1111"}`},
		{"field last, short value", Rule{Fields: []string{"pin"}, Replace: Replace{Mode: ModeLast, Keep: 4}}, "x", `{"pin":"123"}`, `{"pin":"***"}`},
		{"field placeholder", Rule{Fields: []string{"ssn"}, Replace: Replace{Mode: ModePlaceholder}}, "x", `{"ssn":"123-45-6789"}`, `{"ssn":"[REDACTED]"}`},
		{"detector placeholder", Rule{Detectors: []string{"ssn", "email"}, Replace: Replace{Mode: ModePlaceholder}}, "x", `{"a":"ssn 123-45-6789, mail a@b.io"}`, `{"a":"ssn [SSN], mail [EMAIL]"}`},
		{"detector last", Rule{Detectors: []string{"card"}, Replace: Replace{Mode: ModeLast, Keep: 4}}, "x", `{"a":"pay 4111-1111-1111-1111 ok"}`, `{"a":"pay ***************1111 ok"}`},
		{"detector whole", Rule{Detectors: []string{"email"}, Whole: true, Replace: Replace{Mode: ModePlaceholder}}, "x", `{"a":"write bob@x.com"}`, `{"a":"[EMAIL]"}`},
		{"custom placeholder", Rule{Custom: []Custom{{Name: "employee_id", Regex: `EMP-[0-9]{6}`}}, Replace: Replace{Mode: ModePlaceholder}}, "x", `{"a":"by EMP-123456"}`, `{"a":"by [EMPLOYEE_ID]"}`},
		{"dynamodb N stays a number", Rule{Detectors: []string{"card"}}, "dynamodb", `{"Item":{"c":{"N":"4111111111111111"}}}`, `{"Item":{"c":{"N":"0"}}}`},
		{"dynamodb N whole, any mode", Rule{Fields: []string{"c"}, Replace: Replace{Mode: ModeHash}}, "dynamodb", `{"Item":{"c":{"N":"12"}}}`, `{"Item":{"c":{"N":"0"}}}`},
		{"dynamodb B keeps base64", Rule{Fields: []string{"c"}, Replace: Replace{Mode: ModePlaceholder}}, "dynamodb", `{"Item":{"c":{"B":"aGk="}}}`, `{"Item":{"c":{"B":"W1JFREFDVEVEIGJ5IGppdGdhdGVd"}}}`},
		{"numbers stay", Rule{Fields: []string{"n"}, Replace: Replace{Mode: ModeHash}}, "x", `{"n":42}`, `{"n":42}`},
		{"allow list keeps a value", Rule{Detectors: []string{"email"}, Allow: []string{"noreply@example.com"}}, "x", `{"a":"noreply@example.com or bob@x.com"}`, `{"a":"noreply@example.com or [REDACTED by jitgate]"}`},
		{"allow regex on a field", Rule{Fields: []string{"owner"}, Allow: []string{`/svc-.*/`}}, "x", `{"owner":"svc-build","o":{"owner":"alice"}}`, `{"owner":"svc-build","o":{"owner":"[REDACTED by jitgate]"}}`},
		{"fields and detectors: only within fields", Rule{Fields: []string{"body"}, Detectors: []string{"email"}}, "x", `{"body":"to a@b.io","other":"to a@b.io"}`, `{"body":"to [REDACTED by jitgate]","other":"to a@b.io"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.rule.Name = "r"
			e, err := New([]Rule{tt.rule}, WithHashKey(testHashKey))
			if err != nil {
				t.Fatal(err)
			}
			res, err := e.Body("application/json", tt.service, "Op", []byte(tt.in))
			if err != nil {
				t.Fatal(err)
			}
			if string(res.Body) != tt.want {
				t.Fatalf("got  %s\nwant %s", res.Body, tt.want)
			}
			assertValidJSON(t, res.Body)
		})
	}
}

// TestHashTokens: the same value gives the same token under one key, in
// any spelling of a card number and in any format; another key another.
func TestHashTokens(t *testing.T) {
	rules := []Rule{{Name: "h", Detectors: []string{"card", "email"}, Replace: Replace{Mode: ModeHash}}}
	e, err := New(rules, WithHashKey(testHashKey))
	if err != nil {
		t.Fatal(err)
	}
	other, err := New(rules, WithHashKey([]byte("another key of sixteen+ bytes")))
	if err != nil {
		t.Fatal(err)
	}
	mask := func(e *Engine, ct, in string) string {
		res, err := e.Body(ct, "x", "Op", []byte(in))
		if err != nil {
			t.Fatal(err)
		}
		return string(res.Body)
	}
	a := mask(e, "application/json", `{"c":"4111 1111 1111 1111"}`)
	b := mask(e, "application/json", `{"d":"4111-1111-1111-1111"}`)
	x := mask(e, "text/xml", `<r>4111111111111111</r>`)
	tokA := a[len(`{"c":"`) : len(a)-2]
	if !strings.HasPrefix(tokA, "tok_") || len(tokA) != 20 {
		t.Fatalf("token %q", tokA)
	}
	if !strings.Contains(b, tokA) || !strings.Contains(x, tokA) {
		t.Fatalf("same card, different tokens: %s %s %s", a, b, x)
	}
	if strings.Contains(mask(other, "application/json", `{"c":"4111 1111 1111 1111"}`), tokA) {
		t.Fatal("another key gave the same token")
	}
	if m := mask(e, "application/json", `{"c":"a@b.io"}`); strings.Contains(m, tokA) {
		t.Fatal("different values gave the same token")
	}
}

// TestScope: service and operation globs, principals and groups; an
// unknown caller gets every scoped rule.
func TestScope(t *testing.T) {
	e, err := New([]Rule{
		{Name: "ddb-reads", Service: "dynamo*", Operation: "*Item", Fields: []string{"a"}},
		{Name: "contractors", Groups: []string{"contractors", "ext-*"}, Fields: []string{"b"}},
		{Name: "bots", Principals: []string{"system:serviceaccount:*"}, Fields: []string{"c"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	body := []byte(`{"a":"1","b":"2","c":"3"}`)
	tests := []struct {
		name  string
		scope Scope
		want  []string // fields masked
	}{
		{"glob service and operation", Scope{Service: "dynamodb", Operation: "GetItem", Principal: &Principal{Subject: "alice"}}, []string{"a"}},
		{"operation glob misses", Scope{Service: "dynamodb", Operation: "Query", Principal: &Principal{Subject: "alice"}}, nil},
		{"group glob", Scope{Service: "s3", Principal: &Principal{Subject: "bob", Groups: []string{"staff", "ext-acme"}}}, []string{"b"}},
		{"principal glob", Scope{Service: "s3", Principal: &Principal{Subject: "system:serviceaccount:ci:runner"}}, []string{"c"}},
		{"unknown caller: every scoped rule", Scope{Service: "s3"}, []string{"b", "c"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, err := e.Mask("application/json", tt.scope, body)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(res.Fields, tt.want) {
				t.Fatalf("masked %q, want %q (%s)", res.Fields, tt.want, res.Body)
			}
		})
	}
}

// TestPrecedence: a built-in credential rule masks in full even when a
// user rule with a weaker replacement selects the same field.
func TestPrecedence(t *testing.T) {
	e, err := New([]Rule{{Name: "weak", Fields: []string{"SecretAccessKey"}, Replace: Replace{Mode: ModeLast, Keep: 4}}})
	if err != nil {
		t.Fatal(err)
	}
	res, err := e.Body("application/json", "sts", "GetSessionToken", []byte(`{"SecretAccessKey":"wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"}`))
	if err != nil {
		t.Fatal(err)
	}
	if string(res.Body) != `{"SecretAccessKey":"[REDACTED by jitgate]"}` {
		t.Fatalf("got %s", res.Body)
	}
	if len(res.Hits) != 1 || res.Hits[0].Rule != "builtin:credentials" {
		t.Fatalf("hits %+v", res.Hits)
	}
}

func TestHits(t *testing.T) {
	e, err := New([]Rule{
		{Name: "pii", Detectors: []string{"email", "ssn"}},
		{Name: "ids", Custom: []Custom{{Name: "emp", Regex: `EMP-\d{4}`}}},
		{Name: "notes", Fields: []string{"note"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	res, err := e.Body("application/json", "x", "Op", []byte(`{"a":["a@b.io x@y.io","123-45-6789"],"b":"EMP-1234","note":"n","SessionToken":"t"}`))
	if err != nil {
		t.Fatal(err)
	}
	want := []Hit{{"builtin:credentials", "", 1}, {"pii", "email", 2}, {"pii", "ssn", 1}, {"ids", "emp", 1}, {"notes", "", 1}}
	if !slices.Equal(res.Hits, want) {
		t.Fatalf("hits %+v\nwant %+v", res.Hits, want)
	}
	if !slices.Equal(res.Fields, []string{"a[]", "b", "note", "SessionToken"}) {
		t.Fatalf("fields %q", res.Fields)
	}
	for _, h := range res.Hits {
		if strings.Contains(h.Rule+h.Detector, "@") {
			t.Fatal("a hit carries a value")
		}
	}
}

// TestRuleErrors: every validation error names the rule and the key.
func TestRuleErrors(t *testing.T) {
	tests := []struct {
		name string
		rule Rule
		opts []Option
		key  string
		msg  string
	}{
		{"nothing selected", Rule{Name: "r"}, nil, "", "no fields and no detectors"},
		{"unknown detector", Rule{Name: "r", Detectors: []string{"email", "passport"}}, nil, "detectors[1]", "unknown detector"},
		{"bad regex", Rule{Name: "r", Custom: []Custom{{Name: "x", Regex: "("}}}, nil, "custom[0].regex", "bad pattern"},
		{"empty-matching regex", Rule{Name: "r", Custom: []Custom{{Name: "x", Regex: "a*"}}}, nil, "custom[0].regex", "empty string"},
		{"custom without name", Rule{Name: "r", Custom: []Custom{{Regex: "a"}}}, nil, "custom[0].name", "empty name"},
		{"custom shadowing a detector", Rule{Name: "r", Custom: []Custom{{Name: "email", Regex: "a"}}}, nil, "custom[0].name", "built-in detector"},
		{"bad allow regex", Rule{Name: "r", Detectors: []string{"ip"}, Allow: []string{"ok", "/(/"}}, nil, "allow[1]", "bad pattern"},
		{"bad mode", Rule{Name: "r", Fields: []string{"a"}, Replace: Replace{Mode: "scramble"}}, nil, "replace.mode", "unknown mode"},
		{"negative keep", Rule{Name: "r", Fields: []string{"a"}, Replace: Replace{Mode: ModeLast, Keep: -1}}, nil, "replace.keep", "at least 1"},
		{"keep without last", Rule{Name: "r", Fields: []string{"a"}, Replace: Replace{Keep: 4}}, nil, "replace.keep", "mode last only"},
		{"hash without key", Rule{Name: "r", Fields: []string{"a"}, Replace: Replace{Mode: ModeHash}}, nil, "replace.mode", "--masking-hash-key"},
		{"whole without detectors", Rule{Name: "r", Fields: []string{"a"}, Whole: true}, nil, "whole", "no detectors"},
		{"empty group", Rule{Name: "r", Fields: []string{"a"}, Groups: []string{""}}, nil, "groups[0]", "empty group"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := New([]Rule{{Name: "fine", Fields: []string{"x"}}, tt.rule}, tt.opts...)
			var re *RuleError
			if !errors.As(err, &re) || !errors.Is(err, ErrInvalidRule) {
				t.Fatalf("err = %v", err)
			}
			if re.Rule != "r" || re.Index != 1 || re.Key != tt.key || !strings.Contains(err.Error(), tt.msg) {
				t.Fatalf("err = %v (%+v), want key %q and %q", err, re, tt.key, tt.msg)
			}
			if !strings.Contains(err.Error(), "masking rule r:") {
				t.Fatalf("message does not name the rule: %v", err)
			}
		})
	}
	if _, err := New(nil, WithHashKey([]byte("short"))); !errors.Is(err, ErrInvalidOption) {
		t.Fatalf("short hash key: %v", err)
	}
}
