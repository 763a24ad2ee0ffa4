package policy

import (
	"os"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

// TestDocsExamples keeps docs/policy.md honest: its first YAML block is a
// valid policy and every `when:` line of its other YAML blocks compiles.
func TestDocsExamples(t *testing.T) {
	doc, err := os.ReadFile("../../docs/policy.md")
	if err != nil {
		t.Fatal(err)
	}
	blocks := strings.Split(string(doc), "```yaml\n")[1:]
	if len(blocks) < 2 {
		t.Fatalf("found %d yaml blocks", len(blocks))
	}
	first, _, _ := strings.Cut(blocks[0], "```")
	if _, err := Parse([]byte(first), "docs/policy.md"); err != nil {
		t.Errorf("file-format example: %v", err)
	}
	n := 0
	for _, b := range blocks[1:] {
		body, _, _ := strings.Cut(b, "```")
		for _, line := range strings.Split(body, "\n") {
			if !strings.HasPrefix(line, "when: ") {
				continue
			}
			var v struct{ When string }
			if err := yaml.Unmarshal([]byte(line), &v); err != nil {
				t.Errorf("%s: %v", line, err)
				continue
			}
			if _, err := CompileMatch(v.When); err != nil {
				t.Errorf("%s: %v", line, err)
			}
			n++
		}
	}
	if n < 5 {
		t.Errorf("checked only %d examples", n)
	}
}
