package policy

import (
	"fmt"

	"github.com/expr-lang/expr/vm"
)

// RuleTrace is what one rule did for one input, as shown by
// `jitgate policy explain`. Decisive marks the rule whose outcome (or
// error) decided; rules after it are still evaluated for the trace.
type RuleTrace struct {
	Rule     string
	Line     int
	Then     Outcome
	Builtin  bool
	Matched  bool
	Err      error
	Decisive bool
}

// Evaluate decides a call: the built-in credential-minting rule first
// (unless the policy opts out), then the rules in order, first match wins,
// and deny with Rule "" and DefaultReason when none matches.
//
// A rule whose expression fails at run time decides deny (fail closed),
// with a reason naming the rule and the error; the error is also returned
// as an *EvalError so the caller can count it. The Decision is valid in
// every case.
//
// Only the rules the index leaves for the call's service and operation are
// evaluated (index.go); the decision is the one evaluating every rule in
// order would make.
func (p *Policy) Evaluate(in Input) (Decision, error) {
	minting := CredentialCall(in.Service, in.Operation, in.Effects)
	if minting && !p.allowMinting {
		return builtinDecision(in), nil
	}
	cands := p.index.lookup(in.Service, in.Operation)
	var (
		env any
		m   *vm.VM
	)
	defer func() {
		if m != nil {
			p.index.machines.Put(m)
		}
	}()
	for _, c := range cands.list {
		if c.check != nil && !c.check.holds(&in) {
			continue // the rule is false for this call, without error
		}
		r := &p.rules[c.rule]
		if !c.exact {
			if env == nil {
				env = any(newEnvFor(in, cands.resources, cands.account))
				m = p.index.machine()
			}
			matched, err := runProgram(m, r.program, env)
			if err != nil {
				return failedDecision(r, err), &EvalError{Rule: r.Name, Err: err}
			}
			if !matched {
				continue
			}
		}
		return r.decide(in, minting), nil
	}
	return Decision{Outcome: Deny, Reason: DefaultReason}, nil
}

// evaluateLinear is Evaluate without the index: every rule in order. The
// tests hold Evaluate to it.
func (p *Policy) evaluateLinear(in Input) (Decision, error) {
	d, err, _ := p.evaluate(in, false)
	return d, err
}

// matchReason is the reason of a decision by a rule without one.
func matchReason(name string) string { return fmt.Sprintf("matched rule %q", name) }

func builtinDecision(in Input) Decision {
	b := builtinRule()
	return Decision{Outcome: Deny, Rule: b.Name, Reason: fmt.Sprintf("%s:%s: %s", in.Service, in.Operation, b.Reason)}
}

func failedDecision(r *Rule, err error) Decision {
	return Decision{Outcome: Deny, Rule: r.Name, Reason: fmt.Sprintf("rule %q failed, denying: %v", r.Name, err)}
}

// Explain evaluates every rule for in and reports each one in order, with
// the decision Evaluate would make (its error, if any, is the decisive
// trace's Err).
func (p *Policy) Explain(in Input) (Decision, []RuleTrace) {
	d, _, traces := p.evaluate(in, true)
	return d, traces
}

func (p *Policy) evaluate(in Input, explain bool) (Decision, error, []RuleTrace) {
	var (
		traces  []RuleTrace
		decided bool
		d       = Decision{Outcome: Deny, Reason: DefaultReason}
		derr    error
	)
	minting := CredentialCall(in.Service, in.Operation, in.Effects)
	if !p.allowMinting {
		b := builtinRule()
		if minting {
			decided = true
			d = builtinDecision(in)
			if !explain {
				return d, nil, nil
			}
		}
		if explain {
			traces = append(traces, RuleTrace{Rule: b.Name, Then: Deny, Builtin: true, Matched: minting, Decisive: minting})
		}
	}

	env := any(newEnv(in))
	for i := range p.rules {
		r := &p.rules[i]
		matched, err := compiled{program: r.program}.run(env)
		if explain {
			traces = append(traces, RuleTrace{Rule: r.Name, Line: r.Line, Then: r.Then, Matched: matched, Err: err})
		}
		if decided || (!matched && err == nil) {
			continue
		}
		decided = true
		if explain {
			traces[len(traces)-1].Decisive = true
		}
		if err != nil {
			derr = &EvalError{Rule: r.Name, Err: err}
			d = failedDecision(r, err)
		} else {
			d = r.decide(in, minting)
		}
		if !explain {
			break
		}
	}
	return d, derr, traces
}

// decide is the decision of a matching rule. A credential-minting call
// (reachable only with allow_credential_minting: true) is allowed or held
// only by a rule whose `when` names the operation as a string literal.
func (r *Rule) decide(in Input, minting bool) Decision {
	if minting && r.Then != Deny {
		if _, named := r.literals[in.Operation]; !named {
			return Decision{
				Outcome: Deny,
				Rule:    BuiltinRuleName,
				Reason: fmt.Sprintf("rule %q matched credential-minting operation %s:%s without naming it; write %q in the rule's when to permit it",
					r.Name, in.Service, in.Operation, in.Operation),
			}
		}
	}
	reason := r.Reason
	if reason == "" {
		reason = r.matchReason
	}
	d := Decision{Outcome: r.Then, Rule: r.Name, Reason: reason}
	if r.Then != Deny {
		d.Role = r.Role
	}
	if r.Then == Hold {
		d.Hold = r.Hold.clone()
	}
	return d
}
