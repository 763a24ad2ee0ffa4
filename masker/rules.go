package masker

// The masking rules file (docs/masking.md). Version 1 files written before
// detectors existed (name, service, operation, fields, base64) load
// unchanged; every later key is optional.

import (
	"bytes"
	"errors"
	"fmt"
	"os"

	"gopkg.in/yaml.v3"

	"github.com/jitgate/jitgate/internal/redact"
)

// rulesFile is the masking rules file format.
type rulesFile struct {
	Version int         `yaml:"version"`
	Rules   []ruleEntry `yaml:"rules"`
}

// ruleEntry is one rule as written; redact.Rule documents each field.
type ruleEntry struct {
	Name       string   `yaml:"name"`
	Service    string   `yaml:"service"`   // glob
	Operation  string   `yaml:"operation"` // glob
	Principals []string `yaml:"principals"`
	Groups     []string `yaml:"groups"`
	Fields     []string `yaml:"fields"`
	Detectors  []string `yaml:"detectors"`
	Custom     []struct {
		Name  string `yaml:"name"`
		Regex string `yaml:"regex"`
	} `yaml:"custom"`
	Allow   []string `yaml:"allow"`
	Whole   bool     `yaml:"whole"`
	Replace struct {
		Mode string `yaml:"mode"`
		Keep int    `yaml:"keep"`
	} `yaml:"replace"`
	// Base64: the fields are blobs; JSON and XML get the mask base64-encoded.
	Base64 bool `yaml:"base64"`
}

// LoadRules reads a masking rules file. An empty path means built-in rules
// only. It checks the file's shape (YAML, known keys, version); what the
// rules say is checked when they compile ([CompileRules]).
func LoadRules(path string) ([]redact.Rule, error) {
	rules, _, err := loadRules(path)
	return rules, err
}

// loadRules also returns the line of each rule in the file.
func loadRules(path string) ([]redact.Rule, []int, error) {
	if path == "" {
		return nil, nil, nil
	}
	src, err := os.ReadFile(path)
	if err != nil {
		return nil, nil, fmt.Errorf("masker: %w", err)
	}
	var f rulesFile
	dec := yaml.NewDecoder(bytes.NewReader(src))
	dec.KnownFields(true)
	if err := dec.Decode(&f); err != nil {
		return nil, nil, fmt.Errorf("masker: %s: %w", path, err)
	}
	if f.Version != 1 {
		return nil, nil, fmt.Errorf("masker: %s: version must be 1, got %d", path, f.Version)
	}
	rules := make([]redact.Rule, 0, len(f.Rules))
	for _, r := range f.Rules {
		rule := redact.Rule{
			Name: r.Name, Service: r.Service, Operation: r.Operation, Principals: r.Principals, Groups: r.Groups,
			Fields: r.Fields, Detectors: r.Detectors, Allow: r.Allow, Whole: r.Whole, Base64: r.Base64,
			Replace: redact.Replace{Mode: redact.Mode(r.Replace.Mode), Keep: r.Replace.Keep},
		}
		for _, c := range r.Custom {
			rule.Custom = append(rule.Custom, redact.Custom{Name: c.Name, Regex: c.Regex})
		}
		rules = append(rules, rule)
	}
	return rules, ruleLines(src, len(rules)), nil
}

// ruleLines finds the line each rule starts on (0 when unknown).
func ruleLines(src []byte, n int) []int {
	lines := make([]int, n)
	var doc yaml.Node
	if yaml.Unmarshal(src, &doc) != nil || len(doc.Content) == 0 {
		return lines
	}
	m := doc.Content[0]
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value != "rules" {
			continue
		}
		for k, item := range m.Content[i+1].Content {
			if k < n {
				lines[k] = item.Line
			}
		}
	}
	return lines
}

// CompileRules loads a masking rules file and compiles it with the
// built-in rules into an engine. An error in a rule names the file, the
// rule's line, the rule and the key at fault:
//
//	masker: masking.yaml:12: redact: masking rule pii: replace.mode: unknown mode "scramble"; use full, last, placeholder or hash
func CompileRules(path string, opts ...redact.Option) (*redact.Engine, error) {
	rules, lines, err := loadRules(path)
	if err != nil {
		return nil, err
	}
	e, err := redact.New(rules, opts...)
	var re *redact.RuleError
	switch {
	case errors.As(err, &re) && re.Index < len(lines) && lines[re.Index] > 0:
		return nil, fmt.Errorf("masker: %s:%d: %w", path, lines[re.Index], err)
	case err != nil:
		return nil, fmt.Errorf("masker: %w", err)
	}
	return e, nil
}
