package policy

import (
	"sync"
	"sync/atomic"

	"github.com/expr-lang/expr/vm"
)

// The rule index: which rules a call's service and operation leave worth
// evaluating. Each rule's filter (analyze.go) is bound to a (service,
// operation) once; rules whose filter is then false can never match that
// call (and never fail on it) and are dropped from its candidate list.
// Lists keep the policy's order, so first match wins as before. Lists are
// cached per (service, operation), up to maxCachedCalls of them.

// maxCachedCalls bounds the candidate lists a policy keeps. The AWS model
// has about 17,000 operations; a decider sees the few hundred its agents
// use. Beyond the bound, lists are built per call and not kept.
const maxCachedCalls = 8192

// candidate is one rule worth evaluating for a (service, operation).
type candidate struct {
	rule int // index in Policy.rules
	// check is the rule's filter bound to the service and operation: nil
	// when it is true, else tested per call (groups, effects, readOnly).
	check *cond
	// exact: the rule matches exactly when check holds; its program
	// need not run.
	exact bool
}

// candidates is the ordered candidate list of one (service, operation).
type candidates struct {
	list []candidate
	// env says which costly Env fields a rule that may run reads.
	resources, account bool
}

// index is a policy's rule index. The zero index is not usable; build it
// with newIndex.
type index struct {
	filters []ruleFilter // parallel to Policy.rules

	// services maps a service to its operations' lists. Both levels are
	// copied on write, so readers never lock; a write copies one
	// service's operations at most.
	services atomic.Pointer[map[string]*opLists]
	mu       sync.Mutex // serializes writers
	cached   int        // lists kept, guarded by mu

	// machines are expr VMs reused across evaluations (a VM keeps its
	// stack between runs).
	machines sync.Pool
}

func (ix *index) machine() *vm.VM {
	if m, ok := ix.machines.Get().(*vm.VM); ok {
		return m
	}
	return &vm.VM{}
}

type opLists struct {
	ops atomic.Pointer[map[string]*candidates]
}

func newIndex(rules []Rule) *index {
	ix := &index{filters: make([]ruleFilter, len(rules))}
	for i := range rules {
		ix.filters[i] = rules[i].filter
	}
	empty := map[string]*opLists{}
	ix.services.Store(&empty)
	return ix
}

// lookup returns the candidate list of a service and operation.
func (ix *index) lookup(service, operation string) *candidates {
	if s, ok := (*ix.services.Load())[service]; ok {
		if c, ok := (*s.ops.Load())[operation]; ok {
			return c
		}
	}
	c := ix.build(service, operation)
	ix.mu.Lock()
	defer ix.mu.Unlock()
	if ix.cached >= maxCachedCalls {
		return c
	}
	services := *ix.services.Load()
	s, ok := services[service]
	if !ok {
		s = &opLists{}
		empty := map[string]*candidates{}
		s.ops.Store(&empty)
		next := make(map[string]*opLists, len(services)+1)
		for k, v := range services {
			next[k] = v
		}
		next[service] = s
		ix.services.Store(&next)
	}
	ops := *s.ops.Load()
	if cur, ok := ops[operation]; ok {
		return cur
	}
	next := make(map[string]*candidates, len(ops)+1)
	for k, v := range ops {
		next[k] = v
	}
	next[operation] = c
	s.ops.Store(&next)
	ix.cached++
	return c
}

func (ix *index) build(service, operation string) *candidates {
	c := &candidates{}
	for i, f := range ix.filters {
		check := f.need.bind(service, operation)
		if check.kind == condFalse {
			continue
		}
		if check.kind == condTrue {
			check = nil
		}
		c.list = append(c.list, candidate{rule: i, check: check, exact: f.exact})
		if !f.exact {
			c.resources = c.resources || f.resources
			c.account = c.account || f.account
		}
	}
	return c
}
