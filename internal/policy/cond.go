package policy

import (
	"slices"
	"strings"

	"github.com/jitgate/jitgate/internal/glob"
)

// A cond is a boolean formula over facts of a call that the index can test
// without running a rule's program: tests of service and operation (known
// when a candidate list is built, see bind) and of principal.groups,
// call.effects and readOnly (tested per call, see holds). Each test means
// exactly what the expr expression it was read from means (see analyze.go).
type cond struct {
	kind condKind
	a, b *cond // operands of and, or (a only for not)
	atom atom
}

type condKind uint8

const (
	condTrue condKind = iota
	condFalse
	condAnd
	condOr
	condNot
	condAtom
)

var (
	alwaysTrue  = &cond{kind: condTrue}
	alwaysFalse = &cond{kind: condFalse}
)

// atom is one test. field says what it reads; text how it compares.
type atom struct {
	field atomField
	text  textTest
	name  string // atomGroup, atomEffect: the element looked for
}

type atomField uint8

const (
	atomService   atomField = iota // service, by text
	atomOperation                  // operation, by text
	atomGroup                      // name in principal.groups
	atomEffect                     // name in call.effects
	atomReadOnly                   // readOnly
)

// textTest compares a string as one expr operator does.
type textTest struct {
	op  textOp
	s   string
	set map[string]struct{}
}

type textOp uint8

const (
	textEq       textOp = iota // ==
	textIn                     // in [...]
	textGlob                   // glob(x, s)
	textPrefix                 // startsWith
	textSuffix                 // endsWith
	textContains               // contains
)

func (t textTest) match(v string) bool {
	switch t.op {
	case textEq:
		return v == t.s
	case textIn:
		_, ok := t.set[v]
		return ok
	case textGlob:
		return glob.Match(v, t.s)
	case textPrefix:
		return strings.HasPrefix(v, t.s)
	case textSuffix:
		return strings.HasSuffix(v, t.s)
	case textContains:
		return strings.Contains(v, t.s)
	}
	return true // unreachable; true only widens the candidates
}

func atomCond(a atom) *cond { return &cond{kind: condAtom, atom: a} }

func and(x, y *cond) *cond {
	switch {
	case x.kind == condFalse || y.kind == condFalse:
		return alwaysFalse
	case x.kind == condTrue:
		return y
	case y.kind == condTrue:
		return x
	}
	return &cond{kind: condAnd, a: x, b: y}
}

func or(x, y *cond) *cond {
	switch {
	case x.kind == condTrue || y.kind == condTrue:
		return alwaysTrue
	case x.kind == condFalse:
		return y
	case y.kind == condFalse:
		return x
	}
	return &cond{kind: condOr, a: x, b: y}
}

func not(x *cond) *cond {
	switch x.kind {
	case condTrue:
		return alwaysFalse
	case condFalse:
		return alwaysTrue
	case condNot:
		return x.a
	}
	return &cond{kind: condNot, a: x}
}

// bind decides the service and operation tests for one call and returns
// what is left: alwaysTrue, alwaysFalse, or a formula over the per-call
// tests only.
func (c *cond) bind(service, operation string) *cond {
	switch c.kind {
	case condAnd:
		return and(c.a.bind(service, operation), c.b.bind(service, operation))
	case condOr:
		return or(c.a.bind(service, operation), c.b.bind(service, operation))
	case condNot:
		return not(c.a.bind(service, operation))
	case condAtom:
		switch c.atom.field {
		case atomService:
			return constCond(c.atom.text.match(service))
		case atomOperation:
			return constCond(c.atom.text.match(operation))
		}
	}
	return c
}

// holds evaluates a bound formula for one call.
func (c *cond) holds(in *Input) bool {
	switch c.kind {
	case condTrue:
		return true
	case condFalse:
		return false
	case condAnd:
		return c.a.holds(in) && c.b.holds(in)
	case condOr:
		return c.a.holds(in) || c.b.holds(in)
	case condNot:
		return !c.a.holds(in)
	}
	switch c.atom.field {
	case atomGroup:
		return slices.Contains(in.Principal.Groups, c.atom.name)
	case atomEffect:
		return slices.Contains(in.Effects, c.atom.name)
	case atomReadOnly:
		return in.ReadOnly
	case atomService:
		return c.atom.text.match(in.Service)
	case atomOperation:
		return c.atom.text.match(in.Operation)
	}
	return true // unreachable; true only widens the candidates
}

func constCond(b bool) *cond {
	if b {
		return alwaysTrue
	}
	return alwaysFalse
}
