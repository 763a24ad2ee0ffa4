package policy

import (
	"strings"
	"time"

	"github.com/expr-lang/expr"
)

// Env is the typed environment every `when` and grant `match` expression is
// compiled against; the expr tags are the names expressions use. A name not
// listed here is a compile error at load.
type Env struct {
	Principal Principal      `expr:"principal"`
	Service   string         `expr:"service"`
	Operation string         `expr:"operation"`
	Region    string         `expr:"region"`
	ReadOnly  bool           `expr:"readOnly"`
	Params    map[string]any `expr:"params"`
	Resources Resources      `expr:"resources"`
	Source    string         `expr:"source"`
	Time      time.Time      `expr:"time"`
	Role      string         `expr:"role"`
	Account   string         `expr:"account"` // account ID from Role, "" without one
	Call      Call           `expr:"call"`
}

// Call is what the call does, as rules see it under `call`.
type Call struct {
	// Effects are the operation's effect classes from the gateway's AWS
	// model: "read", "list", "write", "delete", "permissions",
	// "credentials", "execute" (several at once for many operations), so
	// that `"delete" in call.effects` catches every operation that deletes,
	// not only those named Delete*.
	Effects []string `expr:"effects"`
}

// newEnv builds the expression environment for one input: resources are
// extracted from the parameters once, time is UTC (now when zero).
func newEnv(in Input) Env { return newEnvFor(in, true, true) }

// newEnvFor builds the environment, leaving Resources and Account empty
// unless asked for: Evaluate asks for them only when a rule that will run
// reads them (analyze.go).
func newEnvFor(in Input, resources, account bool) Env {
	t := in.Time
	if t.IsZero() {
		t = time.Now()
	}
	env := Env{
		Principal: in.Principal,
		Service:   in.Service,
		Operation: in.Operation,
		Region:    in.Region,
		ReadOnly:  in.ReadOnly,
		Params:    in.Params,
		Source:    in.Source,
		Time:      t.UTC(),
		Role:      in.Role,
		Call:      Call{Effects: effects(in.Effects)},
	}
	if resources {
		env.Resources = ExtractResources(in.Params)
	}
	if account {
		env.Account = arnAccount(in.Role)
	}
	return env
}

// effects is never nil, so `x in call.effects` and `len(call.effects)`
// behave the same for a call without effects.
func effects(e []string) []string {
	if e == nil {
		return []string{}
	}
	return e
}

// arnAccount returns the account field of an ARN, "" if s is not an ARN.
func arnAccount(s string) string {
	parts := strings.SplitN(s, ":", 6)
	if len(parts) < 6 || parts[0] != "arn" {
		return ""
	}
	return parts[4]
}

// compileOptions are the expr options shared by `when` and `match`: the
// typed Env, a bool result, the helper functions, and no `now()` so a
// decision depends only on its Input (replays decide the same way).
func compileOptions() []expr.Option {
	return []expr.Option{
		expr.Env(Env{}),
		expr.AsBool(),
		expr.DisableBuiltin("now"),
		expr.Function("glob", fnGlob, new(func(string, string) bool)),
		expr.Function("anyGlob", fnAnyGlob,
			new(func([]string, string) bool),
			new(func([]any, string) bool)),
		expr.Function("cidr", fnCIDR, new(func(string, string) bool)),
		expr.Function("hour", fnHour, new(func(time.Time) int)),
		expr.Function("weekday", fnWeekday, new(func(time.Time) string)),
	}
}
