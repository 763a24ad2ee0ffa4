package policy

import (
	"errors"
	"strings"
	"testing"

	"github.com/expr-lang/expr/file"
)

// rule wraps rule lines (indented by 4) into a minimal valid file.
func rule(lines ...string) string {
	return "version: 1\nrules:\n  - " + strings.Join(lines, "\n    ") + "\n"
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		name     string
		src      string
		wantRule string
		wantLine int
		wantMsg  string
	}{
		{"yaml syntax", "version: 1\nrules: [\n", "", 0, "yaml:"},
		{"empty file", "", "", 0, "empty policy file"},
		{"not a mapping", "- a\n", "", 1, "must be a mapping"},
		{"missing version", "rules: []\n", "", 1, "version: required"},
		{"wrong version", "version: 2\nrules: []\n", "", 1, `unsupported value "2"`},
		{"unknown top-level key", "version: 1\nrule: []\nrules: []\n", "", 2, `unknown key "rule" in the top level`},
		{"missing rules", "version: 1\n", "", 1, "rules: required"},
		{"rules not a list", "version: 1\nrules: {}\n", "", 2, "rules: must be a list"},
		{"bad allow_credential_minting", "version: 1\nallow_credential_minting: maybe\nrules: []\n", "", 2, "allow_credential_minting"},
		{"rule not a mapping", "version: 1\nrules:\n  - just a string\n", "rules[0]", 3, "must be a mapping"},
		{"missing name", rule("when: 'true'", "then: allow"), "rules[0]", 3, "name: required"},
		{"reserved name", rule("name: builtin:x", "when: 'true'", "then: allow"), "builtin:x", 3, "reserved"},
		{"missing when", rule("name: r1", "then: allow"), "r1", 3, "when: required"},
		{"missing then", rule("name: r1", "when: 'true'"), "r1", 3, "then: required"},
		{"invalid then", rule("name: r1", "when: 'true'", "then: permit"), "r1", 5, `then: "permit" is not allow, deny or hold`},
		{"unknown rule key", rule("name: r1", "when: 'true'", "then: allow", "approver: [x]"), "r1", 6, `unknown key "approver" in a rule`},
		{"repeated rule key", rule("name: r1", "when: 'true'", "then: allow", "then: deny"), "r1", 6, `key "then" repeated`},
		{"duplicate names", "version: 1\nrules:\n  - {name: r1, when: 'true', then: allow}\n  - {name: r1, when: 'false', then: deny}\n", "r1", 4, "duplicate rule name (first defined at line 3)"},
		{"hold without approvers", rule("name: r1", "when: 'true'", "then: hold"), "r1", 3, "approvers: required"},
		{"hold with empty approvers", rule("name: r1", "when: 'true'", "then: hold", "approvers: []"), "r1", 6, "approvers: must be a non-empty list"},
		{"approvals zero", rule("name: r1", "when: 'true'", "then: hold", "approvers: [ops]", "approvals: 0"), "r1", 7, "approvals"},
		{"approvals not a number", rule("name: r1", "when: 'true'", "then: hold", "approvers: [ops]", "approvals: two"), "r1", 7, "approvals"},
		{"bad wait", rule("name: r1", "when: 'true'", "then: hold", "approvers: [ops]", "wait: soon"), "r1", 7, `wait: "soon" is not a positive duration`},
		{"negative wait", rule("name: r1", "when: 'true'", "then: hold", "approvers: [ops]", "wait: -5m"), "r1", 7, "wait:"},
		{"bad grant for", rule("name: r1", "when: 'true'", "then: hold", "approvers: [ops]", "grant: {for: 0s}"), "r1", 7, "grant.for"},
		{"bad grant scope", rule("name: r1", "when: 'true'", "then: hold", "approvers: [ops]", "grant: {scope: everything}"), "r1", 7, `grant.scope: "everything"`},
		{"expr scope without match", rule("name: r1", "when: 'true'", "then: hold", "approvers: [ops]", "grant: {scope: expr}"), "r1", 7, "grant.match: required with scope: expr"},
		{"match without expr scope", rule("name: r1", "when: 'true'", "then: hold", "approvers: [ops]", "grant: {scope: call, match: 'true'}"), "r1", 7, "grant.match: only used with scope: expr"},
		{"bad grant match", rule("name: r1", "when: 'true'", "then: hold", "approvers: [ops]", "grant: {scope: expr, match: 'resources.tabel == \"x\"'}"), "r1", 7, "grant.match: type policy.Resources has no field tabel"},
		{"unknown grant key", rule("name: r1", "when: 'true'", "then: hold", "approvers: [ops]", "grant: {for: 1m, until: 2m}"), "r1", 7, `unknown key "until" in grant`},
		{"hold field on allow", rule("name: r1", "when: 'true'", "then: allow", "approvers: [ops]"), "r1", 6, "approvers: only valid with then: hold"},
		{"role on deny", rule("name: r1", "when: 'true'", "then: deny", "role: arn:aws:iam::1:role/x"), "r1", 6, "role: only valid with then: allow or hold"},
		{"role not an arn", rule("name: r1", "when: 'true'", "then: allow", "role: writer"), "r1", 6, "is not an IAM role ARN"},
		{"when unknown field", rule("name: r1", "when: principal.grups == nil", "then: allow"), "r1", 4, "has no field grups (1:11)"},
		{"when unknown name", rule("name: r1", "when: servce == \"s3\"", "then: allow"), "r1", 4, "unknown name servce (1:1)"},
		{"when type error", rule("name: r1", "when: readOnly == \"yes\"", "then: allow"), "r1", 4, "mismatched types bool and string"},
		{"when not bool", rule("name: r1", "when: service", "then: allow"), "r1", 4, "expected bool"},
		{"when syntax error", rule("name: r1", "when: 'service == \"s3\" &&'", "then: allow"), "r1", 4, "unexpected token EOF"},
		{"when helper wrong arity", rule("name: r1", "when: glob(operation)", "then: allow"), "r1", 4, "glob"},
		{"when bad constant cidr", rule("name: r1", "when: cidr(source, \"10.0.0/8\")", "then: allow"), "r1", 4, `cidr: invalid prefix "10.0.0/8"`},
		{"when now() is not available", rule("name: r1", "when: now() == time", "then: allow"), "r1", 4, "unknown name now"},
		{"when empty", rule("name: r1", "when: ''", "then: allow"), "r1", 4, "empty expression"},
		{"when a list", rule("name: r1", "when: [a]", "then: allow"), "r1", 4, "when: must be a string"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := Parse([]byte(tt.src), "p.yaml")
			if err == nil {
				t.Fatalf("Parse succeeded (%d rules), want error containing %q", len(p.rules), tt.wantMsg)
			}
			if !errors.Is(err, ErrInvalidPolicy) {
				t.Errorf("error does not wrap ErrInvalidPolicy: %v", err)
			}
			var re *RuleError
			if !errors.As(err, &re) {
				t.Fatalf("error is not a *RuleError: %T %v", err, err)
			}
			if re.File != "p.yaml" || re.Rule != tt.wantRule || re.Line != tt.wantLine {
				t.Errorf("RuleError at %s:%d rule %q, want p.yaml:%d rule %q (%v)", re.File, re.Line, re.Rule, tt.wantLine, tt.wantRule, err)
			}
			if !strings.Contains(err.Error(), tt.wantMsg) {
				t.Errorf("error %q does not contain %q", err, tt.wantMsg)
			}
			if tt.wantRule != "" && !strings.Contains(err.Error(), `rule "`+tt.wantRule+`"`) {
				t.Errorf("error %q does not name rule %q", err, tt.wantRule)
			}
		})
	}
}

// TestParseExprErrorPosition checks that an expression error carries the
// expression's own line and column besides the YAML position of `when`.
func TestParseExprErrorPosition(t *testing.T) {
	src := "version: 1\nrules:\n  - name: multi\n    then: allow\n    when: |\n      service == \"s3\" &&\n        principal.sbu == \"x\"\n"
	_, err := Parse([]byte(src), "p.yaml")
	var re *RuleError
	if !errors.As(err, &re) {
		t.Fatalf("err = %v, want *RuleError", err)
	}
	var fe *file.Error
	if !errors.As(err, &fe) {
		t.Fatalf("err = %v, want an expr *file.Error inside", err)
	}
	if re.Line != 5 || fe.Line != 2 || fe.Column != 12 {
		t.Errorf("positions: yaml line %d, expr %d:%d; want yaml 5, expr 2:12", re.Line, fe.Line, fe.Column)
	}
	if !strings.HasPrefix(err.Error(), `p.yaml:5:11: rule "multi": when: type policy.Principal has no field sbu (2:13)`) {
		t.Errorf("rendered: %s", err)
	}
}

func TestParseReportsEveryError(t *testing.T) {
	src := "version: 1\nrules:\n  - {name: a, when: 'true', then: nope}\n  - {name: b, when: 'nope', then: allow}\n  - {name: c, when: 'true', then: hold}\n"
	_, err := Parse([]byte(src), "p.yaml")
	if err == nil {
		t.Fatal("want errors")
	}
	for _, r := range []string{`rule "a"`, `rule "b"`, `rule "c"`} {
		if !strings.Contains(err.Error(), r) {
			t.Errorf("error does not mention %s:\n%v", r, err)
		}
	}
}

func TestParseValid(t *testing.T) {
	src := []byte(examplePolicy)
	p, err := Parse(src, "example.yaml")
	if err != nil {
		t.Fatal(err)
	}
	q, _ := Parse(append(src, '\n'), "example.yaml")
	if p.Hash() == q.Hash() {
		t.Error("different bytes gave the same hash")
	}
	if p.AllowsCredentialMinting() {
		t.Error("AllowsCredentialMinting without the opt-in")
	}
	// An empty rule list is valid and denies everything.
	e := mustParse(t, "version: 1\nrules: []\n")
	if d, _ := e.Evaluate(Input{Service: "s3", Operation: "ListBuckets"}); d.Outcome != Deny || d.Rule != "" {
		t.Errorf("empty policy decided %+v", d)
	}
}

func TestLoad(t *testing.T) {
	if _, err := Load("testdata/does-not-exist.yaml"); err == nil || errors.Is(err, ErrInvalidPolicy) {
		t.Errorf("Load of a missing file: %v, want a read error", err)
	}
}
