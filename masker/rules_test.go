package masker

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/jitgate/jitgate/internal/bus"
	"github.com/jitgate/jitgate/internal/redact"
	"github.com/jitgate/jitgate/schemas"
)

func writeRules(t *testing.T, src string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "masking.yaml")
	if err := os.WriteFile(path, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestLoadRules(t *testing.T) {
	tests := []struct {
		name, src string
		want      []redact.Rule
		err       string
	}{
		{
			name: "version 1 as before: fields, scope and base64",
			src:  "version: 1\nrules:\n  - name: tokens\n    fields: [\"*Token\"]\n  - name: blobs\n    service: kms\n    operation: Decrypt\n    fields: [Plaintext]\n    base64: true\n",
			want: []redact.Rule{{Name: "tokens", Fields: []string{"*Token"}},
				{Name: "blobs", Service: "kms", Operation: "Decrypt", Fields: []string{"Plaintext"}, Base64: true}},
		},
		{
			name: "detectors, custom, allow, replace, scope",
			src: `version: 1
rules:
  - name: pii
    service: "dynamo*"
    operation: "*Item"
    principals: ["system:serviceaccount:*"]
    groups: [contractors]
    fields: [notes]
    detectors: [email, card]
    custom: [{name: employee_id, regex: "EMP-[0-9]{6}"}]
    allow: [noreply@example.com, "/.*@example\\.org/"]
    whole: true
    replace: {mode: last, keep: 4}
`,
			want: []redact.Rule{{Name: "pii", Service: "dynamo*", Operation: "*Item", Principals: []string{"system:serviceaccount:*"},
				Groups: []string{"contractors"}, Fields: []string{"notes"}, Detectors: []string{"email", "card"},
				Custom: []redact.Custom{{Name: "employee_id", Regex: "EMP-[0-9]{6}"}}, Allow: []string{"noreply@example.com", `/.*@example\.org/`},
				Whole: true, Replace: redact.Replace{Mode: redact.ModeLast, Keep: 4}}},
		},
		{name: "unknown key", src: "version: 1\nrules:\n  - name: x\n    field: [a]\n", err: "field field not found"},
		{name: "unknown replace key", src: "version: 1\nrules:\n  - name: x\n    fields: [a]\n    replace: {mode: last, kept: 4}\n", err: "field kept not found"},
		{name: "wrong version", src: "version: 2\n", err: "version must be 1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := LoadRules(writeRules(t, tt.src))
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("err = %v, want %q", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !slices.EqualFunc(got, tt.want, func(a, b redact.Rule) bool {
				return a.Name == b.Name && a.Service == b.Service && a.Operation == b.Operation && a.Base64 == b.Base64 &&
					slices.Equal(a.Fields, b.Fields) && slices.Equal(a.Detectors, b.Detectors) && slices.Equal(a.Custom, b.Custom) &&
					slices.Equal(a.Allow, b.Allow) && slices.Equal(a.Principals, b.Principals) && slices.Equal(a.Groups, b.Groups) &&
					a.Whole == b.Whole && a.Replace == b.Replace
			}) {
				t.Fatalf("rules = %+v, want %+v", got, tt.want)
			}
		})
	}
}

// TestCompileRulesErrors: every error names the file, the rule's line,
// the rule and the key.
func TestCompileRulesErrors(t *testing.T) {
	head := "version: 1\nrules:\n  - name: ok\n    fields: [a]\n"
	tests := []struct {
		name, rule string
		opts       []redact.Option
		want       string
	}{
		{"unknown detector", "  - name: bad\n    detectors: [email, passport]\n", nil, `:5: redact: masking rule bad: detectors[1]: detect: unknown detector "passport"`},
		{"bad regex", "  - name: bad\n    custom: [{name: x, regex: \"(\"}]\n", nil, ":5: redact: masking rule bad: custom[0].regex:"},
		{"bad mode", "  - name: bad\n    fields: [a]\n    replace: {mode: scramble}\n", nil, ":5: redact: masking rule bad: replace.mode: unknown mode"},
		{"negative keep", "  - name: bad\n    fields: [a]\n    replace: {mode: last, keep: -1}\n", nil, ":5: redact: masking rule bad: replace.keep:"},
		{"hash without key", "  - name: bad\n    fields: [a]\n    replace: {mode: hash}\n", nil, ":5: redact: masking rule bad: replace.mode: mode hash needs a hash key"},
		{"bad allow", "  - name: bad\n    detectors: [ip]\n    allow: [\"/(/\"]\n", nil, ":5: redact: masking rule bad: allow[0]:"},
		{"bad field", "  - name: bad\n    fields: [\"a..b\"]\n", nil, `:5: redact: masking rule bad: field "a..b"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := writeRules(t, head+tt.rule)
			_, err := CompileRules(path, tt.opts...)
			if !errors.Is(err, redact.ErrInvalidRule) || !strings.Contains(err.Error(), path+tt.want) {
				t.Fatalf("err = %v\nwant %s%s", err, path, tt.want)
			}
		})
	}
	path := writeRules(t, head+"  - name: h\n    fields: [a]\n    replace: {mode: hash}\n")
	if _, err := CompileRules(path, redact.WithHashKey([]byte("sixteen bytes at least"))); err != nil {
		t.Fatalf("hash with a key: %v", err)
	}
}

// TestScopedRulesAndHits: the masker masks by the request's principal
// (execution.finished carries it) and lists which rules and detectors
// fired in response.ready's masked record, never the values.
func TestScopedRulesAndHits(t *testing.T) {
	path := writeRules(t, `version: 1
rules:
  - name: contractors
    groups: [contractors]
    detectors: [email]
    replace: {mode: placeholder}
`)
	k, err := New(Config{Bus: bus.Config{Brokers: []string{"127.0.0.1:1"}}, Instance: "m1", RulesFile: path}, Deps{})
	if err != nil {
		t.Fatal(err)
	}
	body := []byte(`{"Messages":[{"Body":"from bob@x.com"}]}`)
	tests := []struct {
		name      string
		principal *schemas.Principal
		masked    bool
	}{
		{"in the group", &schemas.Principal{Subject: "c1", Groups: []string{"contractors"}}, true},
		{"not in the group", &schemas.Principal{Subject: "e1", Groups: []string{"staff"}}, false},
		{"unknown caller", nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fin := &schemas.ExecutionFinished{ReplyTo: "ingress-1", Service: "sqs", Operation: "ReceiveMessage", Protocol: "json",
				Principal: tt.principal, Response: schemas.HTTPResponse{Status: 200, BodySize: int64(len(body)), Body: body,
					Headers: []schemas.Header{{Name: "Content-Type", Value: "application/x-amz-json-1.0"}}}}
			res, err := k.Handle(context.Background(), message(t, fin))
			if err != nil {
				t.Fatal(err)
			}
			r := ready(t, res)
			got := string(r.Response.Body)
			if tt.masked {
				if got != `{"Messages":[{"Body":"from [EMAIL]"}]}` || !slices.Equal(r.Masked, []string{"Messages[].Body", "rule:contractors/email=1"}) {
					t.Fatalf("body %s, masked %q", got, r.Masked)
				}
				return
			}
			if got != string(body) || len(r.Masked) != 0 {
				t.Fatalf("body %s, masked %q", got, r.Masked)
			}
		})
	}
}

// TestDefaultsDocumented: docs/masking.md lists every built-in rule with
// its fields, so the documented defaults are the real ones.
func TestDefaultsDocumented(t *testing.T) {
	doc, err := os.ReadFile(filepath.Join("..", "docs", "masking.md"))
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range redact.BuiltinRules() {
		row := ""
		for _, line := range strings.Split(string(doc), "\n") {
			if strings.HasPrefix(line, "| `"+r.Name+"` |") {
				row = line
			}
		}
		if row == "" {
			t.Errorf("docs/masking.md has no row for %s", r.Name)
			continue
		}
		for _, f := range r.Fields {
			if !strings.Contains(row, "`"+f+"`") {
				t.Errorf("docs/masking.md row for %s lacks %s", r.Name, f)
			}
		}
		if r.Base64 != strings.Contains(row, "(base64)") {
			t.Errorf("docs/masking.md row for %s: base64 should be %v", r.Name, r.Base64)
		}
	}
}
