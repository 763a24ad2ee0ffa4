package redact

// Rules: what a caller writes ([Rule]) and what New compiles it into
// (rule). Rules select values by member name (fields), by what the value
// looks like (detectors, custom regexes), or both (detectors within those
// fields); each chooses its replacement and its scope.

import (
	"fmt"
	"strings"

	"github.com/jitgate/jitgate/internal/redact/detect"
)

// Rule selects values to redact.
type Rule struct {
	// Name identifies the rule in errors, in Result.Hits and in the
	// rules file.
	Name string
	// Fields are field names matched at any depth in JSON objects, XML
	// elements (local name, namespace ignored), CBOR maps and form keys,
	// compared case-insensitively (ASCII). '*' in a name matches any run of
	// characters ("*Password*"). A dotted field ("Credentials.SecretAccessKey")
	// matches when the last names of the path agree; array levels are
	// skipped and a "[]" suffix on a segment is ignored.
	//
	// Without Detectors and Custom, a selected value is replaced whole.
	// With them, the detectors run only inside the selected values.
	Fields []string
	// Detectors name built-in value detectors (detect.Parse: "email",
	// "phone", "card", "iban", "ssn", "aws_access_key_id",
	// "aws_secret_key", "jwt", "private_key", "ip"). Without Fields they
	// scan every string value of every response the rule applies to.
	Detectors []string
	// Custom are regex detectors of this rule.
	Custom []Custom
	// Allow lists values never masked by this rule: exact strings, or
	// regexes between slashes ("/.*@example\.com/") matching the whole
	// value. For detectors the value is the matched text; for fields, the
	// whole string.
	Allow []string
	// Whole: a detector match replaces the whole string value, not only
	// the matched text.
	Whole bool
	// Replace chooses the replacement (default: the full mask).
	Replace Replace
	// Service and Operation restrict the rule to matching calls: globs
	// ('*' matches any run) compared case-insensitively with the botocore
	// service id and the operation name; "" matches all.
	Service   string
	Operation string
	// Principals and Groups restrict the rule to callers whose OIDC
	// subject matches one of Principals (globs, case-insensitive) and, when Groups is set,
	// who belong to a group matching one of Groups. When the caller is not
	// known (Scope.Principal nil) a restricted rule applies: scoping never
	// turns masking off for lack of information.
	Principals []string
	Groups     []string
	// Base64 marks the fields as blobs (base64 text in JSON, XML and forms):
	// their strings are replaced by the base64 of the mask so that SDKs
	// still decode them. CBOR blobs are byte strings and need no flag.
	// Detectors do not read blobs.
	Base64 bool
}

// Custom is a named regex detector (Go RE2 syntax).
type Custom struct {
	Name  string
	Regex string
}

// rule is a compiled Rule.
type rule struct {
	name               string
	service, operation string   // lowercase globs; "" = any
	principals, groups []string // lowercase globs
	fields             bool
	kinds              []detect.Kind
	custom             []*detect.Custom
	allow              *detect.Allow
	whole              bool
	repl               Replace
	base64             bool
}

// detects reports whether the rule has value detectors.
func (r *rule) detects() bool { return len(r.kinds) > 0 || len(r.custom) > 0 }

// compileRule checks and compiles r; index is its position in the
// caller's list, for errors. hashKey says whether a hash key is set.
func compileRule(r Rule, index int, hashKey bool) (rule, error) {
	fail := func(key, reason string) (rule, error) {
		return rule{}, &RuleError{Rule: r.Name, Index: index, Key: key, Reason: reason}
	}
	c := rule{
		name: r.Name, service: strings.ToLower(r.Service), operation: strings.ToLower(r.Operation),
		fields: len(r.Fields) > 0, whole: r.Whole, repl: r.Replace, base64: r.Base64,
	}
	if len(r.Fields) == 0 && len(r.Detectors) == 0 && len(r.Custom) == 0 {
		return fail("", "no fields and no detectors; list field names, detectors or custom regexes")
	}
	seen := map[detect.Kind]bool{}
	for i, name := range r.Detectors {
		k, err := detect.Parse(name)
		if err != nil {
			return fail(fmt.Sprintf("detectors[%d]", i), err.Error())
		}
		if !seen[k] {
			seen[k] = true
			c.kinds = append(c.kinds, k)
		}
	}
	names := map[string]bool{}
	for i, cu := range r.Custom {
		key := fmt.Sprintf("custom[%d]", i)
		if strings.TrimSpace(cu.Name) == "" {
			return fail(key+".name", "empty name; name the custom detector (it becomes the placeholder)")
		}
		if names[strings.ToLower(cu.Name)] {
			return fail(key+".name", fmt.Sprintf("duplicate custom detector %q", cu.Name))
		}
		names[strings.ToLower(cu.Name)] = true
		if _, err := detect.Parse(cu.Name); err == nil {
			return fail(key+".name", fmt.Sprintf("%q is a built-in detector; list it under detectors", cu.Name))
		}
		d, err := detect.CompileCustom(cu.Name, cu.Regex)
		if err != nil {
			return fail(key+".regex", err.Error())
		}
		c.custom = append(c.custom, d)
	}
	a, err := detect.CompileAllow(r.Allow)
	if err != nil {
		key, reason, _ := strings.Cut(err.Error(), ": ")
		return fail(key, reason)
	}
	c.allow = a
	if r.Whole && !c.detects() {
		return fail("whole", "whole applies to detector matches; this rule has no detectors")
	}
	if err := checkReplace(r.Replace, hashKey); err != nil {
		return fail(err.key, err.reason)
	}
	if c.repl.Mode == "" {
		c.repl.Mode = ModeFull
	}
	for i, p := range r.Principals {
		if strings.TrimSpace(p) == "" {
			return fail(fmt.Sprintf("principals[%d]", i), "empty principal")
		}
		c.principals = append(c.principals, strings.ToLower(p))
	}
	for i, g := range r.Groups {
		if strings.TrimSpace(g) == "" {
			return fail(fmt.Sprintf("groups[%d]", i), "empty group")
		}
		c.groups = append(c.groups, strings.ToLower(g))
	}
	return c, nil
}

// Principal is the caller a body is masked for.
type Principal struct {
	Subject string
	Groups  []string
}

// Scope is the call a body belongs to.
type Scope struct {
	Service   string // botocore service id
	Operation string
	// Principal is the caller; nil when unknown, and then every rule
	// restricted by Principals or Groups applies.
	Principal *Principal
}

// applies reports whether the rule is in scope for the call.
func (r *rule) applies(s *Scope) bool {
	if r.service != "" && !globFold(r.service, []byte(s.Service)) {
		return false
	}
	if r.operation != "" && !globFold(r.operation, []byte(s.Operation)) {
		return false
	}
	if s.Principal == nil {
		return true
	}
	if len(r.principals) > 0 && !anyGlob(r.principals, s.Principal.Subject) {
		return false
	}
	if len(r.groups) > 0 {
		for _, g := range s.Principal.Groups {
			if anyGlob(r.groups, g) {
				return true
			}
		}
		return false
	}
	return true
}

func anyGlob(pats []string, name string) bool {
	for _, p := range pats {
		if globFold(p, []byte(name)) {
			return true
		}
	}
	return false
}
