package policy

import (
	"errors"
	"fmt"
	"net/netip"
	"strings"

	"github.com/expr-lang/expr"
	"github.com/expr-lang/expr/ast"
	"github.com/expr-lang/expr/file"
	"github.com/expr-lang/expr/parser"
	"github.com/expr-lang/expr/vm"
)

// compiled is one expression compiled against Env.
type compiled struct {
	program  *vm.Program
	literals map[string]struct{}
	filter   ruleFilter
}

// compileExpr compiles a boolean expression against Env. Errors are expr
// *file.Error values with the expression's line:column and a snippet.
func compileExpr(src string) (compiled, error) {
	if strings.TrimSpace(src) == "" {
		return compiled{}, errors.New("empty expression")
	}
	program, err := expr.Compile(src, compileOptions()...)
	if err != nil {
		return compiled{}, err
	}
	// The unoptimized tree keeps every literal as written (the optimizer
	// folds `x in ["a", "b"]` into a set).
	tree, err := parser.Parse(src)
	if err != nil {
		return compiled{}, err
	}
	v := &literalVisitor{literals: map[string]struct{}{}}
	ast.Walk(&tree.Node, v)
	if v.err != nil {
		return compiled{}, v.err.Bind(file.NewSource(src))
	}
	return compiled{program: program, literals: v.literals, filter: analyzeRule(program.Node())}, nil
}

// literalVisitor collects string literals and checks constant arguments of
// helpers (a literal cidr prefix must parse).
type literalVisitor struct {
	literals map[string]struct{}
	err      *file.Error
}

func (v *literalVisitor) Visit(node *ast.Node) {
	switch n := (*node).(type) {
	case *ast.StringNode:
		v.literals[n.Value] = struct{}{}
	case *ast.CallNode:
		id, ok := n.Callee.(*ast.IdentifierNode)
		if !ok || id.Value != "cidr" || len(n.Arguments) != 2 || v.err != nil {
			return
		}
		if s, ok := n.Arguments[1].(*ast.StringNode); ok {
			if _, err := netip.ParsePrefix(s.Value); err != nil {
				v.err = &file.Error{
					Location: s.Location(),
					Message:  fmt.Sprintf("cidr: invalid prefix %q", s.Value),
				}
			}
		}
	}
}

// run evaluates a compiled program against env, an Env boxed once per
// evaluation so running many rules does not copy it each time.
func (c compiled) run(env any) (bool, error) {
	return runProgram(nil, c.program, env)
}

// runProgram runs a program on m (a fresh machine when nil: machines are
// reused by Evaluate, see state.go).
func runProgram(m *vm.VM, program *vm.Program, env any) (bool, error) {
	var (
		out any
		err error
	)
	if m == nil {
		out, err = expr.Run(program, env)
	} else {
		out, err = m.Run(program, env)
	}
	if err != nil {
		return false, err
	}
	b, ok := out.(bool)
	if !ok { // AsBool makes this unreachable; fail closed anyway
		return false, fmt.Errorf("expression returned %T, not bool", out)
	}
	return b, nil
}

// Matcher is a compiled grant `match` expression.
type Matcher struct {
	src string
	c   compiled
}

// CompileMatch compiles a grant's match expression against the same typed
// environment and helpers as `when`. The error is an expr *file.Error with
// the expression's line:column.
func CompileMatch(src string) (*Matcher, error) {
	c, err := compileExpr(src)
	if err != nil {
		return nil, err
	}
	return &Matcher{src: src, c: c}, nil
}

// Match reports whether in matches the expression. A run-time error is
// returned with false: callers must treat it as no match.
func (m *Matcher) Match(in Input) (bool, error) {
	return m.c.run(any(newEnv(in)))
}

// String returns the expression source.
func (m *Matcher) String() string { return m.src }
