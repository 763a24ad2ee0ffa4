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

	// services maps a service to its operations' lists. It is copied on
	// write (services are few), so readers do not lock it.
	services atomic.Pointer[map[string]*opLists]
	mu       sync.Mutex   // serializes writers of services
	cached   atomic.Int64 // lists kept, at most maxCachedCalls

	// machines are expr VMs reused across evaluations (a VM keeps its
	// stack between runs).
	machines sync.Pool
}

// opLists are the lists of one service's operations.
type opLists struct {
	mu  sync.RWMutex
	ops map[string]*candidates
}

func (ix *index) machine() *vm.VM {
	if m, ok := ix.machines.Get().(*vm.VM); ok {
		return m
	}
	return &vm.VM{}
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
	s := ix.service(service)
	s.mu.RLock()
	c, ok := s.ops[operation]
	s.mu.RUnlock()
	if ok {
		return c
	}
	c = ix.build(service, operation)
	s.mu.Lock()
	defer s.mu.Unlock()
	if cur, ok := s.ops[operation]; ok {
		return cur
	}
	if ix.cached.Add(1) > maxCachedCalls {
		ix.cached.Add(-1)
		return c
	}
	s.ops[operation] = c
	return c
}

// service returns the lists of a service, adding it when new.
func (ix *index) service(name string) *opLists {
	if s, ok := (*ix.services.Load())[name]; ok {
		return s
	}
	ix.mu.Lock()
	defer ix.mu.Unlock()
	services := *ix.services.Load()
	if s, ok := services[name]; ok {
		return s
	}
	s := &opLists{ops: map[string]*candidates{}}
	if len(services) >= maxCachedCalls {
		return s // not kept: its lists are built per call
	}
	next := make(map[string]*opLists, len(services)+1)
	for k, v := range services {
		next[k] = v
	}
	next[name] = s
	ix.services.Store(&next)
	return s
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
