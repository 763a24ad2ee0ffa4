package masker

import (
	"bytes"
	"fmt"
	"os"

	"gopkg.in/yaml.v3"

	"github.com/jitgate/jitgate/internal/redact"
)

// rulesFile is the masking rules file format (docs/masking.md).
type rulesFile struct {
	Version int `yaml:"version"`
	Rules   []struct {
		Name      string   `yaml:"name"`
		Fields    []string `yaml:"fields"`
		Service   string   `yaml:"service"`
		Operation string   `yaml:"operation"`
		// Base64: the fields are blobs; JSON and XML get the mask base64-encoded.
		Base64 bool `yaml:"base64"`
	} `yaml:"rules"`
}

// LoadRules reads a masking rules file. An empty path means built-in rules
// only.
func LoadRules(path string) ([]redact.Rule, error) {
	if path == "" {
		return nil, nil
	}
	src, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("masker: %w", err)
	}
	var f rulesFile
	dec := yaml.NewDecoder(bytes.NewReader(src))
	dec.KnownFields(true)
	if err := dec.Decode(&f); err != nil {
		return nil, fmt.Errorf("masker: %s: %w", path, err)
	}
	if f.Version != 1 {
		return nil, fmt.Errorf("masker: %s: version must be 1, got %d", path, f.Version)
	}
	rules := make([]redact.Rule, 0, len(f.Rules))
	for _, r := range f.Rules {
		rules = append(rules, redact.Rule{Name: r.Name, Fields: r.Fields, Service: r.Service, Operation: r.Operation, Base64: r.Base64})
	}
	return rules, nil
}
