package policy

import (
	"errors"
	"fmt"
	"strings"
)

// ErrInvalidPolicy is wrapped by every error Parse and Load return for a
// policy file that is not valid; test with errors.Is.
var ErrInvalidPolicy = errors.New("invalid policy")

// ErrEvaluation is wrapped by the error Evaluate returns when a rule's
// expression fails at run time (the decision is then a deny).
var ErrEvaluation = errors.New("policy evaluation failed")

// RuleError is a validation or compile error in a policy file. Line and
// Column are the 1-based YAML position of the offending node (for an
// expression error, of the expression's scalar); they are 0 when unknown.
// Rule is the rule's name, "rules[i]" for a rule without a usable name, or
// "" for a top-level problem. Err may be an expr *file.Error carrying the
// expression's own line:column and a source snippet.
type RuleError struct {
	File   string
	Rule   string
	Line   int
	Column int
	Err    error
}

// Error renders "file:line:col: rule "name": message".
func (e *RuleError) Error() string {
	var b strings.Builder
	b.WriteString(e.File)
	if e.Line > 0 {
		fmt.Fprintf(&b, ":%d", e.Line)
		if e.Column > 0 {
			fmt.Fprintf(&b, ":%d", e.Column)
		}
	}
	b.WriteString(": ")
	if e.Rule != "" {
		fmt.Fprintf(&b, "rule %q: ", e.Rule)
	}
	b.WriteString(e.Err.Error())
	return b.String()
}

// Unwrap returns the underlying error.
func (e *RuleError) Unwrap() error { return e.Err }

// Is reports ErrInvalidPolicy for every RuleError.
func (e *RuleError) Is(target error) bool { return target == ErrInvalidPolicy }

// EvalError is a run-time failure of one rule's expression. Evaluate turns
// it into a deny naming the rule (fail closed) and also returns it.
type EvalError struct {
	Rule string
	Err  error
}

// Error names the rule and the failure.
func (e *EvalError) Error() string {
	return fmt.Sprintf("rule %q: %v", e.Rule, e.Err)
}

// Unwrap returns the underlying expr error.
func (e *EvalError) Unwrap() error { return e.Err }

// Is reports ErrEvaluation for every EvalError.
func (e *EvalError) Is(target error) bool { return target == ErrEvaluation }
