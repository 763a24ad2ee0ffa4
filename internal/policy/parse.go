package policy

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

// Version is the only policy file version this package reads.
const Version = 1

// maxErrors bounds how many problems one Parse reports.
const maxErrors = 50

// Keys allowed at each level of a policy file.
var (
	topKeys   = []string{"version", "rules", "allow_credential_minting"}
	ruleKeys  = []string{"name", "when", "then", "reason", "approvers", "approvals", "wait", "require_justification", "grant", "role"}
	holdKeys  = []string{"approvers", "approvals", "wait", "require_justification", "grant"}
	grantKeys = []string{"for", "scope", "match"}
)

// Policy is a parsed, validated and compiled policy file. It is immutable
// and safe for concurrent use.
type Policy struct {
	name         string
	hash         string
	allowMinting bool
	rules        []Rule
	index        *index // which rules a call's service and operation leave
}

// Name returns the file name the policy was parsed under.
func (p *Policy) Name() string { return p.name }

// Hash returns the hex SHA-256 of the policy file's bytes; decisions can
// record it to name the policy version that made them.
func (p *Policy) Hash() string { return p.hash }

// AllowsCredentialMinting reports whether the file set
// allow_credential_minting: true (the built-in deny rule is then off).
func (p *Policy) AllowsCredentialMinting() bool { return p.allowMinting }

// Rules returns the rules in evaluation order, the built-in
// credential-minting rule first unless the policy opts out. The slice is a
// copy.
func (p *Policy) Rules() []Rule {
	out := make([]Rule, 0, len(p.rules)+1)
	if !p.allowMinting {
		out = append(out, builtinRule())
	}
	for _, r := range p.rules {
		r.Hold = r.Hold.clone()
		out = append(out, r)
	}
	return out
}

// Load reads and parses the policy file at path.
func Load(path string) (*Policy, error) {
	src, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read policy: %w", err)
	}
	return Parse(src, path)
}

// Parse validates and compiles a policy file; name is used in error
// messages. Every problem found is reported (up to 50): the error is a
// *RuleError, or an errors.Join of them, and always wraps ErrInvalidPolicy.
func Parse(src []byte, name string) (*Policy, error) {
	ps := &loader{file: name}
	p := ps.parse(src)
	switch len(ps.errs) {
	case 0:
		sum := sha256.Sum256(src)
		p.name, p.hash = name, hex.EncodeToString(sum[:])
		p.index = newIndex(p.rules)
		return p, nil
	case 1:
		return nil, ps.errs[0]
	default:
		return nil, errors.Join(ps.errs...)
	}
}

// loader collects every error of one Parse.
type loader struct {
	file string
	errs []error
}

func (ps *loader) fail(rule string, n *yaml.Node, err error) {
	if len(ps.errs) >= maxErrors {
		return
	}
	re := &RuleError{File: ps.file, Rule: rule, Err: err}
	if n != nil {
		re.Line, re.Column = n.Line, n.Column
	}
	ps.errs = append(ps.errs, re)
}

func (ps *loader) failf(rule string, n *yaml.Node, format string, args ...any) {
	ps.fail(rule, n, fmt.Errorf(format, args...))
}

func (ps *loader) parse(src []byte) *Policy {
	var doc yaml.Node
	if err := yaml.Unmarshal(src, &doc); err != nil {
		ps.fail("", nil, err)
		return nil
	}
	if doc.Kind != yaml.DocumentNode || len(doc.Content) == 0 {
		ps.failf("", nil, "empty policy file: want a mapping with version and rules")
		return nil
	}
	root := deref(doc.Content[0])
	if root.Kind != yaml.MappingNode {
		ps.failf("", root, "policy file must be a mapping with version and rules")
		return nil
	}
	fields := ps.fields("", root, topKeys, "the top level")
	p := &Policy{}

	if n, ok := fields["version"]; !ok {
		ps.failf("", root, "version: required (version: %d)", Version)
	} else if v, err := decodeInt(n); err != nil || v != Version {
		ps.failf("", n, "version: unsupported value %q, want %d", n.Value, Version)
	}
	if n, ok := fields["allow_credential_minting"]; ok {
		b, err := decodeBool(n)
		if err != nil {
			ps.fail("", n, fmt.Errorf("allow_credential_minting: %w", err))
		}
		p.allowMinting = b
	}
	n, ok := fields["rules"]
	if !ok {
		ps.failf("", root, "rules: required (a list of rules, evaluated in order)")
		return p
	}
	if n.Kind != yaml.SequenceNode {
		ps.failf("", n, "rules: must be a list")
		return p
	}
	seen := map[string]int{}
	for i, rn := range n.Content {
		if r, ok := ps.rule(i, deref(rn)); ok {
			if line, dup := seen[r.Name]; dup {
				ps.failf(r.Name, rn, "duplicate rule name (first defined at line %d)", line)
				continue
			}
			seen[r.Name] = rn.Line
			p.rules = append(p.rules, r)
		}
	}
	return p
}

// fields maps a mapping's keys to their value nodes, reporting unknown and
// repeated keys.
func (ps *loader) fields(rule string, n *yaml.Node, known []string, where string) map[string]*yaml.Node {
	out := make(map[string]*yaml.Node, len(n.Content)/2)
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], deref(n.Content[i+1])
		switch {
		case !contains(known, k.Value):
			ps.failf(rule, k, "unknown key %q in %s (known keys: %s)", k.Value, where, strings.Join(known, ", "))
		case out[k.Value] != nil:
			ps.failf(rule, k, "key %q repeated", k.Value)
		default:
			out[k.Value] = v
		}
	}
	return out
}

// rule validates and compiles one rule; ok is false if it has errors.
func (ps *loader) rule(i int, n *yaml.Node) (r Rule, ok bool) {
	before := len(ps.errs)
	label := fmt.Sprintf("rules[%d]", i)
	if n.Kind != yaml.MappingNode {
		ps.failf(label, n, "a rule must be a mapping with name, when and then")
		return r, false
	}
	r.Line, r.Column = n.Line, n.Column

	// Name first, so every later message can carry it.
	if nn, has := fieldOf(n, "name"); !has {
		ps.failf(label, n, "name: required")
	} else if s, err := decodeString(nn); err != nil || s == "" {
		ps.failf(label, nn, "name: must be a non-empty string")
	} else if strings.HasPrefix(s, "builtin:") {
		ps.failf(s, nn, "name: the prefix \"builtin:\" is reserved")
	} else {
		r.Name, label = s, s
		r.matchReason = matchReason(s)
	}
	f := ps.fields(label, n, ruleKeys, "a rule")

	if wn, has := f["when"]; !has {
		ps.failf(label, n, "when: required (a boolean expr expression)")
	} else if s, err := decodeString(wn); err != nil {
		ps.fail(label, wn, fmt.Errorf("when: %w", err))
	} else if c, err := compileExpr(s); err != nil {
		ps.fail(label, wn, fmt.Errorf("when: %w", err))
	} else {
		r.When, r.program, r.literals, r.filter = s, c.program, c.literals, c.filter
	}

	if tn, has := f["then"]; !has {
		ps.failf(label, n, "then: required (allow, deny or hold)")
	} else if s, _ := decodeString(tn); !Outcome(s).Valid() {
		ps.failf(label, tn, "then: %q is not allow, deny or hold", tn.Value)
	} else {
		r.Then = Outcome(s)
	}

	if rn, has := f["reason"]; has {
		s, err := decodeString(rn)
		if err != nil {
			ps.fail(label, rn, fmt.Errorf("reason: %w", err))
		}
		r.Reason = s
	}

	if r.Then == Hold {
		r.Hold = ps.hold(label, n, f)
	} else if r.Then != "" {
		for _, k := range holdKeys {
			if kn, has := f[k]; has {
				ps.failf(label, kn, "%s: only valid with then: hold", k)
			}
		}
	}

	if rn, has := f["role"]; has {
		s, err := decodeString(rn)
		switch {
		case err != nil:
			ps.fail(label, rn, fmt.Errorf("role: %w", err))
		case r.Then == Deny:
			ps.failf(label, rn, "role: only valid with then: allow or hold")
		case !strings.HasPrefix(s, "arn:") || !strings.Contains(s, ":role/"):
			ps.failf(label, rn, "role: %q is not an IAM role ARN (arn:aws:iam::ACCOUNT:role/NAME)", s)
		default:
			r.Role = s
		}
	}
	return r, len(ps.errs) == before
}

// hold reads the hold fields of a rule, applying defaults.
func (ps *loader) hold(label string, rn *yaml.Node, f map[string]*yaml.Node) *HoldSpec {
	h := &HoldSpec{Approvals: DefaultApprovals, Wait: DefaultWait}
	if n, has := f["approvers"]; !has {
		ps.failf(label, rn, "approvers: required for then: hold (a list of approver groups)")
	} else if groups, err := decodeStrings(n); err != nil || len(groups) == 0 {
		ps.failf(label, n, "approvers: must be a non-empty list of group names")
	} else {
		h.Approvers = groups
	}
	if n, has := f["approvals"]; has {
		v, err := decodeInt(n)
		if err != nil || v < 1 {
			ps.failf(label, n, "approvals: %q must be a whole number of at least 1", n.Value)
		}
		h.Approvals = v
	}
	if n, has := f["wait"]; has {
		d, err := decodeDuration(n)
		if err != nil {
			ps.fail(label, n, fmt.Errorf("wait: %w", err))
		}
		h.Wait = d
	}
	if n, has := f["require_justification"]; has {
		b, err := decodeBool(n)
		if err != nil {
			ps.fail(label, n, fmt.Errorf("require_justification: %w", err))
		}
		h.RequireJustification = b
	}
	if n, has := f["grant"]; has {
		h.Grant = ps.grant(label, n)
	}
	return h
}

// grant reads a hold rule's grant block.
func (ps *loader) grant(label string, n *yaml.Node) *GrantSpec {
	if n.Kind != yaml.MappingNode {
		ps.failf(label, n, "grant: must be a mapping with for, scope and match")
		return nil
	}
	f := ps.fields(label, n, grantKeys, "grant")
	g := &GrantSpec{For: DefaultGrantFor, Scope: DefaultScope}
	if fn, has := f["for"]; has {
		d, err := decodeDuration(fn)
		if err != nil {
			ps.fail(label, fn, fmt.Errorf("grant.for: %w", err))
		}
		g.For = d
	}
	if sn, has := f["scope"]; has {
		s, _ := decodeString(sn)
		switch s {
		case ScopeCall, ScopeOperation, ScopeExpr:
			g.Scope = s
		default:
			ps.failf(label, sn, "grant.scope: %q is not call, operation or expr", sn.Value)
		}
	}
	mn, hasMatch := f["match"]
	switch {
	case g.Scope == ScopeExpr && !hasMatch:
		ps.failf(label, n, "grant.match: required with scope: expr")
	case g.Scope != ScopeExpr && hasMatch:
		ps.failf(label, mn, "grant.match: only used with scope: expr")
	case hasMatch:
		s, err := decodeString(mn)
		if err == nil {
			_, err = compileExpr(s)
		}
		if err != nil {
			ps.fail(label, mn, fmt.Errorf("grant.match: %w", err))
		}
		g.Match = s
	}
	return g
}

// deref follows a YAML alias to the node it names.
func deref(n *yaml.Node) *yaml.Node {
	for i := 0; n.Kind == yaml.AliasNode && n.Alias != nil && i < 8; i++ {
		n = n.Alias
	}
	return n
}

func fieldOf(n *yaml.Node, key string) (*yaml.Node, bool) {
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			return deref(n.Content[i+1]), true
		}
	}
	return nil, false
}

func contains(list []string, s string) bool {
	for _, e := range list {
		if e == s {
			return true
		}
	}
	return false
}

func decodeString(n *yaml.Node) (string, error) {
	if n.Kind != yaml.ScalarNode {
		return "", errors.New("must be a string")
	}
	return n.Value, nil
}

func decodeStrings(n *yaml.Node) ([]string, error) {
	if n.Kind != yaml.SequenceNode {
		return nil, errors.New("must be a list of strings")
	}
	out := make([]string, 0, len(n.Content))
	for _, e := range n.Content {
		s, err := decodeString(deref(e))
		if err != nil || s == "" {
			return nil, errors.New("must be a list of non-empty strings")
		}
		out = append(out, s)
	}
	return out, nil
}

func decodeInt(n *yaml.Node) (int, error) {
	var v int
	if n.Kind != yaml.ScalarNode || n.Decode(&v) != nil {
		return 0, fmt.Errorf("%q is not a whole number", n.Value)
	}
	return v, nil
}

func decodeBool(n *yaml.Node) (bool, error) {
	var b bool
	if n.Kind != yaml.ScalarNode || n.Decode(&b) != nil {
		return false, fmt.Errorf("%q is not true or false", n.Value)
	}
	return b, nil
}

func decodeDuration(n *yaml.Node) (time.Duration, error) {
	s, err := decodeString(n)
	if err != nil {
		return 0, err
	}
	d, err := time.ParseDuration(s)
	if err != nil || d <= 0 {
		return 0, fmt.Errorf("%q is not a positive duration such as 90s, 30m or 1h30m", s)
	}
	return d, nil
}
