package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// runApp runs the CLI in-process and returns what it printed and its error.
func runApp(t *testing.T, args ...string) (string, error) {
	t.Helper()
	a := app()
	var out bytes.Buffer
	a.Writer, a.ErrWriter = &out, &out
	err := a.RunContext(context.Background(), interspersed(a, append([]string{"jitgate"}, args...)))
	return out.String(), err
}

func TestPolicyCheck(t *testing.T) {
	write := func(body string) string {
		p := filepath.Join(t.TempDir(), "p.yaml")
		os.WriteFile(p, []byte(body), 0o600)
		return p
	}
	rule := func(when string) string {
		return "version: 1\nrules:\n  - name: the-rule\n    when: '" + when + "'\n    then: allow\n"
	}
	tests := []struct {
		name, file string
		wantErr    []string
	}{
		{"valid", rule(`"sandbox" in principal.groups`), nil},
		{"unknown field", rule(`principal.team == "x"`), []string{"the-rule", "team"}},
		{"type error", rule(`service + 1`), []string{"the-rule"}},
		{"syntax error", rule(`service ==`), []string{"the-rule"}},
		{"unknown key", "version: 1\nrules:\n  - name: the-rule\n    when: 'true'\n    then: allow\n    approverz: [x]\n", []string{"the-rule", "approverz"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			out, err := runApp(t, "policy", "check", write(tc.file))
			if tc.wantErr == nil {
				if err != nil || !strings.Contains(out, "ok") {
					t.Fatalf("valid policy: %v %s", err, out)
				}
				return
			}
			if err == nil {
				t.Fatal("bad policy accepted")
			}
			for _, w := range tc.wantErr {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not mention %q", err, w)
				}
			}
		})
	}
}

func TestPolicyExplain(t *testing.T) {
	out, err := runApp(t, "policy", "explain", "../../policies/dev.yaml", "--request",
		`{"principal":{"sub":"bot-1","groups":["sandbox"]},"service":"s3","operation":"DeleteBucket","params":{"Bucket":"demo"}}`)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"sandbox-no-delete", "<- decides", "decision: deny by sandbox-no-delete"} {
		if !strings.Contains(out, want) {
			t.Errorf("explain output lacks %q:\n%s", want, out)
		}
	}
	if _, err := runApp(t, "policy", "explain", "../../policies/dev.yaml", "--request", `{"principle":{}}`); err == nil {
		t.Error("a misspelled request field was accepted")
	}
}
