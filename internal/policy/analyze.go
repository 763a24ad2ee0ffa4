package policy

import (
	"github.com/expr-lang/expr/ast"
)

// Static analysis of a compiled `when`, for the rule index (index.go).
//
// It reads the tree the program was compiled from (after expr's optimizer)
// and finds a condition on the call that must hold for the expression to
// be true. The promise, for every rule and every call:
//
//	need is false  =>  the program returns false without an error
//
// so skipping the rule changes nothing, not even a run-time error that
// would have denied. When the whole expression is made of tests the index
// understands (exact), need is the expression itself and the program need
// not run at all. Anything not understood widens to "true" (the rule is
// evaluated as before).

// ruleFilter is what the index knows about one rule.
type ruleFilter struct {
	need  *cond
	exact bool // need is the expression: true exactly when the rule matches
	// resources and account are costly Env fields: built only when a rule
	// that runs reads them.
	resources, account bool
}

// analyzeRule reads a compiled rule's tree.
func analyzeRule(root ast.Node) ruleFilter {
	u := &usage{}
	ast.Walk(&root, u)
	if u.let {
		// A variable may shadow an Env field: understand nothing.
		return ruleFilter{need: alwaysTrue, resources: true, account: true}
	}
	need, exact, _ := analyze(root)
	return ruleFilter{need: need, exact: exact != nil, resources: u.resources || u.env, account: u.account || u.env}
}

// usage notes the identifiers a tree reads.
type usage struct {
	let, env, resources, account bool
}

func (u *usage) Visit(node *ast.Node) {
	switch n := (*node).(type) {
	case *ast.VariableDeclaratorNode:
		u.let = true
	case *ast.IdentifierNode:
		switch n.Value {
		case "$env":
			u.env = true
		case "resources":
			u.resources = true
		case "account":
			u.account = true
		}
	}
}

// analyze returns, for a boolean expression node: need (false => the node
// evaluates to false without error), exact (the node's value as a cond,
// nil unless fully understood; then it never fails) and total (the node
// evaluates to a bool without error, whatever the call).
func analyze(node ast.Node) (need, exact *cond, total bool) {
	switch n := node.(type) {
	case *ast.BoolNode:
		c := constCond(n.Value)
		return c, c, true
	case *ast.BinaryNode:
		switch n.Operator {
		case "&&", "and":
			na, ea, ta := analyze(n.Left)
			nb, eb, tb := analyze(n.Right)
			// A false left side stops the evaluation; the right side
			// narrows only if the left side cannot fail first.
			need = na
			if ta {
				need = and(na, nb)
			}
			if ea != nil && eb != nil {
				exact = and(ea, eb)
			}
			return need, exact, ta && tb
		case "||", "or":
			// Both sides false without error: the result is false.
			na, ea, ta := analyze(n.Left)
			nb, eb, tb := analyze(n.Right)
			if ea != nil && eb != nil {
				exact = or(ea, eb)
			}
			return or(na, nb), exact, ta && tb
		}
		if c := atomOfBinary(n); c != nil {
			return c, c, true
		}
	case *ast.UnaryNode:
		if n.Operator == "!" || n.Operator == "not" {
			_, e, t := analyze(n.Node)
			if e != nil {
				c := not(e)
				return c, c, true
			}
			return alwaysTrue, nil, t
		}
	case *ast.IdentifierNode:
		if n.Value == "readOnly" {
			c := atomCond(atom{field: atomReadOnly})
			return c, c, true
		}
	case *ast.CallNode:
		if c := atomOfCall(n); c != nil {
			return c, c, true
		}
	}
	return alwaysTrue, nil, neverFails(node)
}

// atomOfBinary reads service/operation comparisons and membership in
// principal.groups or call.effects.
func atomOfBinary(n *ast.BinaryNode) *cond {
	switch n.Operator {
	case "==", "!=":
		f, ok := keyField(n.Left)
		lit, isLit := n.Right.(*ast.StringNode)
		if !ok || !isLit {
			f, ok = keyField(n.Right)
			lit, isLit = n.Left.(*ast.StringNode)
		}
		if !ok || !isLit {
			return nil
		}
		c := atomCond(atom{field: f, text: textTest{op: textEq, s: lit.Value}})
		if n.Operator == "!=" {
			return not(c)
		}
		return c
	case "in":
		if f, ok := keyField(n.Left); ok {
			if set, ok := stringSet(n.Right); ok {
				return atomCond(atom{field: f, text: textTest{op: textIn, set: set}})
			}
			return nil
		}
		lit, ok := n.Left.(*ast.StringNode)
		if !ok {
			return nil
		}
		switch memberPath(n.Right) {
		case "principal.groups":
			return atomCond(atom{field: atomGroup, name: lit.Value})
		case "call.effects":
			return atomCond(atom{field: atomEffect, name: lit.Value})
		}
	case "startsWith", "endsWith", "contains":
		f, ok := keyField(n.Left)
		lit, isLit := n.Right.(*ast.StringNode)
		if !ok || !isLit {
			return nil
		}
		op := map[string]textOp{"startsWith": textPrefix, "endsWith": textSuffix, "contains": textContains}[n.Operator]
		return atomCond(atom{field: f, text: textTest{op: op, s: lit.Value}})
	}
	return nil
}

// atomOfCall reads glob(service|operation, "pattern").
func atomOfCall(n *ast.CallNode) *cond {
	callee, ok := n.Callee.(*ast.IdentifierNode)
	if !ok || callee.Value != "glob" || len(n.Arguments) != 2 {
		return nil
	}
	f, ok := keyField(n.Arguments[0])
	lit, isLit := n.Arguments[1].(*ast.StringNode)
	if !ok || !isLit {
		return nil
	}
	return atomCond(atom{field: f, text: textTest{op: textGlob, s: lit.Value}})
}

// keyField reports whether n is the service or operation identifier.
func keyField(n ast.Node) (atomField, bool) {
	id, ok := n.(*ast.IdentifierNode)
	if !ok {
		return 0, false
	}
	switch id.Value {
	case "service":
		return atomService, true
	case "operation":
		return atomOperation, true
	}
	return 0, false
}

// stringSet reads the right side of `x in [...]` with only string
// literals: the optimizer's constant set, or the literal array itself.
func stringSet(n ast.Node) (map[string]struct{}, bool) {
	switch n := n.(type) {
	case *ast.ConstantNode:
		set, ok := n.Value.(map[string]struct{})
		return set, ok
	case *ast.ArrayNode:
		set := make(map[string]struct{}, len(n.Nodes))
		for _, e := range n.Nodes {
			s, ok := e.(*ast.StringNode)
			if !ok {
				return nil, false
			}
			set[s.Value] = struct{}{}
		}
		return set, true
	}
	return nil, false
}

// memberPath renders a plain (not optional, not computed) member chain
// from an identifier, "principal.groups"; "" for anything else.
func memberPath(n ast.Node) string {
	switch n := n.(type) {
	case *ast.IdentifierNode:
		return n.Value
	case *ast.MemberNode:
		prop, ok := n.Property.(*ast.StringNode)
		if !ok || n.Optional || n.Method {
			return ""
		}
		base := memberPath(n.Node)
		if base == "" {
			return ""
		}
		return base + "." + prop.Value
	}
	return ""
}

// Env values that read without error, by type. (params and claims are
// maps whose values may be missing or of any type: not listed.)
var (
	safeStrings = map[string]bool{
		"service": true, "operation": true, "region": true, "source": true, "role": true, "account": true,
		"principal.sub": true, "principal.issuer": true,
		"resources.bucket": true, "resources.key": true, "resources.table": true, "resources.function": true,
		"resources.queue": true, "resources.topic": true, "resources.roleArn": true, "resources.user": true,
	}
	safeLists = map[string]bool{
		"principal.groups": true, "call.effects": true,
		"resources.tables": true, "resources.instances": true, "resources.arns": true, "resources.names": true,
	}
)

// neverFails reports whether a boolean node always evaluates to a bool
// without error. Only forms whose operands are literals or typed Env
// fields are listed; anything else may fail.
func neverFails(node ast.Node) bool {
	switch n := node.(type) {
	case *ast.BoolNode:
		return true
	case *ast.IdentifierNode:
		return n.Value == "readOnly"
	case *ast.UnaryNode:
		return (n.Operator == "!" || n.Operator == "not") && neverFails(n.Node)
	case *ast.BinaryNode:
		switch n.Operator {
		case "&&", "and", "||", "or":
			return neverFails(n.Left) && neverFails(n.Right)
		case "==", "!=": // runtime.Equal compares any two values without failing
			return safeValue(n.Left) && safeValue(n.Right)
		case "in":
			if !isSafeString(n.Left) {
				return false
			}
			if _, ok := stringSet(n.Right); ok {
				return true
			}
			return safeLists[memberPath(n.Right)]
		case "startsWith", "endsWith", "contains":
			return isSafeString(n.Left) && isSafeString(n.Right)
		}
	case *ast.CallNode:
		callee, ok := n.Callee.(*ast.IdentifierNode)
		if !ok || len(n.Arguments) != 2 {
			return false
		}
		switch callee.Value {
		case "glob":
			return isSafeString(n.Arguments[0]) && isSafeString(n.Arguments[1])
		case "anyGlob":
			return safeLists[memberPath(n.Arguments[0])] && isSafeString(n.Arguments[1])
		}
	}
	return false
}

func isSafeString(n ast.Node) bool {
	if _, ok := n.(*ast.StringNode); ok {
		return true
	}
	return safeStrings[memberPath(n)]
}

func safeValue(n ast.Node) bool {
	switch n.(type) {
	case *ast.StringNode, *ast.IntegerNode, *ast.FloatNode, *ast.BoolNode, *ast.NilNode:
		return true
	}
	p := memberPath(n)
	return safeStrings[p] || safeLists[p] || p == "readOnly"
}
