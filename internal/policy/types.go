package policy

import (
	"time"

	"github.com/expr-lang/expr/vm"
)

// Outcome is what a decision tells the gateway to do with a call.
type Outcome string

// The three outcomes. The zero Outcome is not valid.
const (
	Allow Outcome = "allow"
	Deny  Outcome = "deny"
	Hold  Outcome = "hold"
)

// Valid reports whether o is allow, deny or hold.
func (o Outcome) Valid() bool { return o == Allow || o == Deny || o == Hold }

// Grant scopes: what an approval of a held call lets through afterwards.
const (
	// ScopeCall lets the same call (service, operation and parameters) through.
	ScopeCall = "call"
	// ScopeOperation lets the same operation on the same resources through.
	ScopeOperation = "operation"
	// ScopeExpr lets every call matching GrantSpec.Match through.
	ScopeExpr = "expr"
)

// Defaults applied by Parse when a hold rule leaves a field out.
const (
	DefaultApprovals = 1
	DefaultWait      = 30 * time.Minute
	DefaultGrantFor  = 15 * time.Minute
	DefaultScope     = ScopeCall
)

// DefaultReason is the reason of the decision when no rule matches.
const DefaultReason = "no rule matched (default deny)"

// Principal is the OIDC identity behind a call. Claims holds the token's
// claims flattened to strings.
type Principal struct {
	Sub    string            `expr:"sub"`
	Issuer string            `expr:"issuer"`
	Groups []string          `expr:"groups"`
	Claims map[string]string `expr:"claims"`
}

// Input is everything a decision is made from. Time is when the request was
// received; the zero Time means now. Params are the call's decoded
// parameters keyed by AWS member name (Bucket, Key, TableName, ...).
type Input struct {
	Principal Principal
	Service   string // lowercase service name as in botocore, e.g. "s3", "dynamodb"
	Operation string // AWS operation name, e.g. "PutObject"
	Region    string
	ReadOnly  bool
	Params    map[string]any
	Source    string // client IP address
	Time      time.Time
	Role      string // role ARN the session assumed, if any
	// Effects are the operation's effect classes (awsmodel.Index.Effects),
	// seen by rules as call.effects. The caller fills them from its own
	// model; an operation with the "credentials" effect is denied by the
	// built-in rule.
	Effects []string
}

// Decision is the result of evaluating a policy. Rule is "" for the
// default deny. Hold is set only for the hold outcome. Role, when set, is
// the role the executor should assume for this call.
type Decision struct {
	Outcome Outcome
	Rule    string
	Reason  string
	Hold    *HoldSpec
	Role    string
}

// HoldSpec says who must approve a held call and for how long it waits.
type HoldSpec struct {
	Approvers            []string      // approver groups
	Approvals            int           // distinct approvers needed, at least 1
	Wait                 time.Duration // how long the hold lives before it expires
	RequireJustification bool
	Grant                *GrantSpec // nil: an approval lets only the held call run
}

// GrantSpec is what an approval opens. For is the maximum duration
// (approvers may shorten it); Scope is ScopeCall, ScopeOperation or
// ScopeExpr; Match is the expr source used with ScopeExpr (compile it with
// CompileMatch).
type GrantSpec struct {
	For   time.Duration
	Scope string
	Match string
}

func (h *HoldSpec) clone() *HoldSpec {
	if h == nil {
		return nil
	}
	c := *h
	c.Approvers = append([]string(nil), h.Approvers...)
	if h.Grant != nil {
		g := *h.Grant
		c.Grant = &g
	}
	return &c
}

// Rule is one compiled rule, as listed by Policy.Rules. Line and Column are
// the YAML position of the rule; Builtin marks the built-in
// credential-minting rule.
type Rule struct {
	Name    string
	When    string
	Then    Outcome
	Reason  string
	Hold    *HoldSpec
	Role    string
	Line    int
	Column  int
	Builtin bool

	program  *vm.Program         // nil for the built-in rule
	literals map[string]struct{} // string literals in When
	filter   ruleFilter          // what the index knows of When
	// matchReason is the decision's reason when Reason is empty, made
	// once at load.
	matchReason string
}
