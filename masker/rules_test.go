package masker

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/jitgate/jitgate/internal/redact"
)

func TestLoadRules(t *testing.T) {
	tests := []struct {
		name, src string
		want      []redact.Rule
		err       string
	}{
		{
			name: "fields, scope and base64",
			src:  "version: 1\nrules:\n  - name: tokens\n    fields: [\"*Token\"]\n  - name: blobs\n    service: kms\n    operation: Decrypt\n    fields: [Plaintext]\n    base64: true\n",
			want: []redact.Rule{{Name: "tokens", Fields: []string{"*Token"}},
				{Name: "blobs", Service: "kms", Operation: "Decrypt", Fields: []string{"Plaintext"}, Base64: true}},
		},
		{name: "unknown key", src: "version: 1\nrules:\n  - name: x\n    field: [a]\n", err: "field field not found"},
		{name: "wrong version", src: "version: 2\n", err: "version must be 1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "masking.yaml")
			if err := os.WriteFile(path, []byte(tt.src), 0o644); err != nil {
				t.Fatal(err)
			}
			got, err := LoadRules(path)
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
				return a.Name == b.Name && a.Service == b.Service && a.Operation == b.Operation && a.Base64 == b.Base64 && slices.Equal(a.Fields, b.Fields)
			}) {
				t.Fatalf("rules = %+v, want %+v", got, tt.want)
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
