package holds

import (
	"bytes"
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jitgate/jitgate/internal/policy"
	"github.com/jitgate/jitgate/schemas"
)

// principalKey identifies a person: OIDC subject and issuer.
type principalKey struct{ sub, iss string }

func keyOf(p schemas.Principal) principalKey { return principalKey{p.Subject, p.Issuer} }

// grantEntry is a grant plus what matching needs, prepared once when the
// grant is applied.
type grantEntry struct {
	Grant
	pin     []byte          // canonical Params, scopes call and operation
	matcher *policy.Matcher // scope expr
	bad     error           // why the grant can never match, if it cannot
}

func compareGrants(a, b *grantEntry) int {
	return cmp.Or(a.Expires.Compare(b.Expires), strings.Compare(a.GrantID, b.GrantID))
}

// MatchGrant finds the active grant (at now) that lets req through: the
// earliest-expiring one (then lowest id) among the grants of req's
// principal (same subject and issuer) that cover it:
//   - scope call: same service, operation and role, and the same call pin
//     (region, every parameter and the body's digest as canonical JSON, see
//     pin.go); a request whose body travels in chunks matches no call grant;
//   - scope operation: same service, operation and role, and the same
//     operation pin (region and resources, see pin.go);
//   - scope expr: the grant's match expression (compiled once when the
//     grant was applied) is true for req at now. It never covers a
//     credential-minting operation (policy.IsCredentialMinting) other than
//     the held one, since grants are checked before the policy's built-in
//     minting rule.
//
// A grant that cannot be evaluated (an expression that fails at run time
// or does not compile, a malformed pin) counts as not matching; when no
// grant matches, err joins those failures so the caller can log them and
// fall through to the rules. Unparsable req.Params match no call or
// operation grant.
func (s *Store) MatchGrant(req *schemas.RequestReceived, now time.Time) (Grant, bool, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	list := s.owned[keyOf(req.Principal)]
	if len(list) == 0 {
		return Grant{}, false, nil
	}
	c := candidate{req: req, now: now}
	var errs []error
	for _, g := range list {
		if !g.ActiveAt(now) {
			continue
		}
		ok, err := c.covers(g)
		if ok {
			return g.Grant, true, nil
		}
		if err != nil {
			errs = append(errs, fmt.Errorf("grant %s: %w", g.GrantID, err))
		}
	}
	return Grant{}, false, errors.Join(errs...)
}

// candidate is a request being matched against grants, with what the
// scopes need computed on first use.
type candidate struct {
	req    *schemas.RequestReceived
	now    time.Time
	params map[string]any
	pErr   error
	parsed bool
	call   []byte
	op     []byte
	input  *policy.Input
	iErr   error
	// verdicts memoizes match expressions: grants opened by one rule share
	// one *policy.Matcher, and its answer for this request is the same.
	verdicts map[*policy.Matcher]verdict
}

type verdict struct {
	ok  bool
	err error
}

func (c *candidate) decoded() (map[string]any, error) {
	if !c.parsed {
		c.parsed = true
		c.params, c.pErr = decodeParams(c.req.Params)
	}
	return c.params, c.pErr
}

func (c *candidate) covers(g *grantEntry) (bool, error) {
	if g.bad != nil {
		return false, g.bad
	}
	switch g.Scope {
	case policy.ScopeCall, policy.ScopeOperation:
		if g.Service != c.req.Service || g.Operation != c.req.Operation || g.Role != c.req.Role {
			return false, nil
		}
		if g.Scope == policy.ScopeCall && c.req.HTTP.BodyChunks > 0 {
			return false, nil // a body the decider never sees is never pinned
		}
		params, err := c.decoded()
		if err != nil {
			return false, err
		}
		pin := &c.call
		build := callPinOf
		if g.Scope == policy.ScopeOperation {
			pin, build = &c.op, operationPinOf
		}
		if *pin == nil {
			if *pin, err = build(c.req.Region, params, &c.req.HTTP); err != nil {
				return false, err
			}
		}
		return bytes.Equal(*pin, g.pin), nil
	case policy.ScopeExpr:
		if policy.CredentialCall(c.req.Service, c.req.Operation, c.req.Effects) &&
			(g.Service != c.req.Service || g.Operation != c.req.Operation) {
			return false, nil
		}
		if v, ok := c.verdicts[g.matcher]; ok {
			return v.ok, v.err
		}
		in, err := c.policyInput()
		if err != nil {
			return false, err
		}
		ok, err := g.matcher.Match(*in)
		if c.verdicts == nil {
			c.verdicts = map[*policy.Matcher]verdict{}
		}
		c.verdicts[g.matcher] = verdict{ok, err}
		return ok, err
	}
	return false, nil
}

// policyInput maps the request to the policy's input the way the decider
// does for `when` (numbers as float64).
func (c *candidate) policyInput() (*policy.Input, error) {
	if c.input != nil || c.iErr != nil {
		return c.input, c.iErr
	}
	params := map[string]any{}
	if len(c.req.Params) > 0 {
		if err := json.Unmarshal(c.req.Params, &params); err != nil {
			c.iErr = fmt.Errorf("request params are not a JSON object: %w", err)
			return nil, c.iErr
		}
	}
	p := c.req.Principal
	c.input = &policy.Input{
		Principal: policy.Principal{Sub: p.Subject, Issuer: p.Issuer, Groups: p.Groups},
		Service:   c.req.Service,
		Operation: c.req.Operation,
		Region:    c.req.Region,
		ReadOnly:  c.req.ReadOnly,
		Params:    params,
		Source:    c.req.Source,
		Time:      c.now,
		Role:      c.req.Role,
		Effects:   c.req.Effects, // set by the decider from its model
	}
	return c.input, nil
}
