package policy

import (
	"fmt"
	"math/rand/v2"
	"os"
	"reflect"
	"strings"
	"sync"
	"testing"
)

// sameDecision fails unless the indexed Evaluate decides in exactly as the
// linear oracle (every rule in order) does: same decision, same error.
func sameDecision(t *testing.T, p *Policy, in Input, what string) {
	t.Helper()
	got, gerr := p.Evaluate(in)
	want, werr := p.evaluateLinear(in)
	if !reflect.DeepEqual(got, want) || fmt.Sprint(gerr) != fmt.Sprint(werr) {
		t.Fatalf("%s: %s:%s groups=%v effects=%v readOnly=%v params=%v\nindexed: %+v, %v\nlinear:  %+v, %v",
			what, in.Service, in.Operation, in.Principal.Groups, in.Effects, in.ReadOnly, in.Params, got, gerr, want, werr)
	}
}

// TestIndexMatchesLinearRealPolicies holds the index to the linear oracle
// on the repository's policies and the realistic benchmark policies.
func TestIndexMatchesLinearRealPolicies(t *testing.T) {
	doc, err := os.ReadFile("../../docs/policy.md")
	if err != nil {
		t.Fatal(err)
	}
	docPolicy, _, _ := strings.Cut(strings.SplitN(string(doc), "```yaml\n", 2)[1], "```")
	dev, err := os.ReadFile("../../policies/dev.yaml")
	if err != nil {
		t.Fatal(err)
	}
	policies := map[string]string{
		"policies/dev.yaml":          string(dev),
		"docs/policy.md":             docPolicy,
		"example":                    examplePolicy,
		"realistic 10":               realisticPolicy(10),
		"realistic 100":              realisticPolicy(100),
		"realistic 1000":             realisticPolicy(1000),
		"minting allowed, realistic": strings.Replace(realisticPolicy(60), "version: 1\n", "version: 1\nallow_credential_minting: true\n", 1),
	}
	r := rand.New(rand.NewPCG(3, 4))
	ins := append(realisticInputs(t, r, 2000, 50), randomInputs(r, 2000)...)
	for name, src := range policies {
		t.Run(name, func(t *testing.T) {
			p := mustParse(t, src)
			for _, in := range ins {
				sameDecision(t, p, in, name)
			}
		})
	}
}

// TestIndexMatchesLinearRandomPolicies holds the index to the linear
// oracle on random rule sets mixing what the index understands (service,
// operation, groups, effects, readOnly, and/or/not) with what it does not,
// including expressions that fail at run time.
func TestIndexMatchesLinearRandomPolicies(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	ins := randomInputs(r, 300)
	for i := range 300 {
		src := randomPolicy(r, 1+r.IntN(12))
		p, err := Parse([]byte(src), "random.yaml")
		if err != nil {
			t.Fatalf("random policy %d does not parse: %v\n%s", i, err, src)
		}
		for _, in := range ins {
			sameDecision(t, p, in, src)
		}
	}
}

// TestIndexFilters checks what the analysis reads from typical rules: a
// rule is skipped only when it cannot match, and run only when the index
// cannot decide it.
func TestIndexFilters(t *testing.T) {
	tests := []struct {
		name, when string
		exact      bool
		// matches lists service:operation pairs the filter lets through,
		// skips those it drops.
		matches, skips []string
	}{
		{"service and operations", `service == "s3" && operation in ["GetObject", "PutObject"]`, true, []string{"s3:GetObject", "s3:PutObject"}, []string{"s3:DeleteObject", "dynamodb:GetObject"}},
		{"glob and group", `"dev" in principal.groups && glob(operation, "Delete*") && service == "s3"`, true, []string{"s3:DeleteObject"}, []string{"s3:GetObject", "ec2:DeleteVolume"}},
		{"either service", `(service == "s3" || service == "sqs") && !(operation startsWith "Delete")`, true, []string{"s3:GetObject", "sqs:SendMessage"}, []string{"s3:DeleteObject", "ec2:RunInstances"}},
		{"not in", `service == "s3" && operation not in ["DeleteBucket"]`, true, []string{"s3:DeleteObject"}, []string{"s3:DeleteBucket"}},
		{"fallible left side stops narrowing", `params.Size > 10 && service == "s3"`, false, []string{"s3:PutObject", "ec2:RunInstances"}, nil},
		{"narrowing left side shields a fallible right side", `service == "lambda" && params.Size > 10`, false, []string{"lambda:Invoke"}, []string{"s3:PutObject"}},
		{"total left side lets the right side narrow", `resources.bucket == "b" && operation == "PutObject"`, false, []string{"s3:PutObject"}, []string{"s3:GetObject"}},
		{"effects only", `"delete" in call.effects`, true, []string{"s3:GetObject", "ec2:RunInstances"}, nil},
		{"let", `let s = "s3"; service == s`, false, []string{"ec2:RunInstances"}, nil},
		{"env", `$env.service == "s3"`, false, []string{"ec2:RunInstances"}, nil},
		{"false", `false`, true, nil, []string{"s3:GetObject"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := compileExpr(tt.when)
			if err != nil {
				t.Fatal(err)
			}
			if c.filter.exact != tt.exact {
				t.Errorf("exact = %v, want %v", c.filter.exact, tt.exact)
			}
			kept := func(call string) bool {
				s, o, _ := strings.Cut(call, ":")
				return c.filter.need.bind(s, o).kind != condFalse
			}
			for _, call := range tt.matches {
				if !kept(call) {
					t.Errorf("%s skipped, want it kept", call)
				}
			}
			for _, call := range tt.skips {
				if kept(call) {
					t.Errorf("%s kept, want it skipped", call)
				}
			}
		})
	}
}

// randomInputs are calls over a small vocabulary so random rules match
// some of them, with parameters that make fallible expressions fail.
func randomInputs(r *rand.Rand, k int) []Input {
	services := []string{"s3", "S3", "sqs", "dynamodb", "ec2", "sts", "", "lambda"}
	ops := []string{"GetObject", "PutObject", "DeleteObject", "DeleteBucket", "SendMessage", "GetItem", "PutItem", "RunInstances", "AssumeRole", "Invoke", "", "getobject"}
	groups := []string{"dev", "ops", "sandbox", "admins"}
	effects := []string{"read", "list", "write", "delete", "permissions", "credentials", "execute"}
	pick := func(list []string) []string {
		var out []string
		for _, s := range list {
			if r.IntN(3) == 0 {
				out = append(out, s)
			}
		}
		return out
	}
	values := []any{nil, "k", "a/b", 12.0, 3.0, true, false, []any{"x"}}
	out := make([]Input, 0, k)
	for range k {
		params := map[string]any{}
		for _, name := range []string{"Size", "Key", "Flag", "Bucket"} {
			if v := values[r.IntN(len(values))]; v != nil {
				params[name] = v
			}
		}
		in := Input{
			Principal: Principal{Sub: "bot", Groups: pick(groups), Claims: map[string]string{"team": "x"}},
			Service:   services[r.IntN(len(services))],
			Operation: ops[r.IntN(len(ops))],
			ReadOnly:  r.IntN(2) == 0,
			Params:    params,
			Source:    "10.0.0.1",
			Role:      "arn:aws:iam::123456789012:role/x",
			Time:      benchTime,
			Effects:   pick(effects),
		}
		if r.IntN(5) == 0 {
			in.Effects = nil
		}
		out = append(out, in)
	}
	return out
}

// randomAtoms are leaves of random rules: first what the index reads,
// then what it does not (some fail at run time on some inputs).
var randomAtoms = []string{
	`service == "s3"`, `"sqs" == service`, `service != "ec2"`, `operation == "GetObject"`,
	`operation in ["PutObject", "PutItem"]`, `operation not in ["DeleteBucket", "Invoke"]`,
	`glob(operation, "Delete*")`, `glob(service, "s*")`, `operation startsWith "Put"`,
	`operation endsWith "Item"`, `service contains "3"`, `"dev" in principal.groups`,
	`"ops" in principal.groups`, `"delete" in call.effects`, `"write" in call.effects`,
	`readOnly`, `true`, `false`, `operation in []`,
	`params.Size > 10`, `params.Key == "k"`, `resources.bucket == "k"`, `glob(params.Key, "a*")`,
	`len(resources.instances) > 0`, `account == "123456789012"`, `$env.service == "s3"`,
	`principal.claims.team == "x"`, `hour(time) > 2`, `any(call.effects, # == "read")`,
	`cidr(source, "10.0.0.0/8")`, `params.Flag`, `(params.Size ?? 0) > 5`, `service in principal.groups`,
	`"s3" in call.effects`, `region == ""`, `anyGlob(principal.groups, "d*")`, `params.Key startsWith "a"`,
}

func randomExpr(r *rand.Rand, depth int) string {
	if depth == 0 || r.IntN(3) == 0 {
		return randomAtoms[r.IntN(len(randomAtoms))]
	}
	switch r.IntN(4) {
	case 0:
		return "!(" + randomExpr(r, depth-1) + ")"
	case 1:
		return "(" + randomExpr(r, depth-1) + " || " + randomExpr(r, depth-1) + ")"
	default:
		return "(" + randomExpr(r, depth-1) + " && " + randomExpr(r, depth-1) + ")"
	}
}

func randomPolicy(r *rand.Rand, n int) string {
	var b strings.Builder
	b.WriteString("version: 1\n")
	if r.IntN(4) == 0 {
		b.WriteString("allow_credential_minting: true\n")
	}
	b.WriteString("rules:\n")
	outcomes := []string{"allow", "deny", "hold"}
	for i := range n {
		when := randomExpr(r, 3)
		if r.IntN(20) == 0 {
			when = `let x = 1; ` + when
		}
		then := outcomes[r.IntN(len(outcomes))]
		fmt.Fprintf(&b, "  - name: r%d\n    when: '%s'\n    then: %s\n", i, strings.ReplaceAll(when, "'", "''"), then)
		if then == "hold" {
			b.WriteString("    approvers: [ops]\n")
		}
	}
	return b.String()
}

// TestIndexConcurrent evaluates from several goroutines while the index
// fills its cache; run with -race.
func TestIndexConcurrent(t *testing.T) {
	p := mustParse(t, realisticPolicy(100))
	ins := randomInputs(rand.New(rand.NewPCG(8, 9)), 200)
	want := make([]Decision, len(ins))
	for i, in := range ins {
		want[i], _ = p.evaluateLinear(in)
	}
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Go(func() {
			for i := range ins {
				k := (i + g*50) % len(ins)
				if got, _ := p.Evaluate(ins[k]); !reflect.DeepEqual(got, want[k]) {
					t.Errorf("goroutine %d call %d: %+v, want %+v", g, k, got, want[k])
					return
				}
			}
		})
	}
	wg.Wait()
}

// TestIndexCacheBound keeps at most maxCachedCalls lists and still decides
// calls beyond them.
func TestIndexCacheBound(t *testing.T) {
	p := mustParse(t, `version: 1
rules:
  - name: puts
    when: 'glob(operation, "Put*") && "dev" in principal.groups'
    then: allow
`)
	for i := range maxCachedCalls + 100 {
		in := Input{Principal: Principal{Groups: []string{"dev"}}, Service: "s3", Operation: fmt.Sprintf("Put%d", i)}
		if d, err := p.Evaluate(in); err != nil || d.Rule != "puts" {
			t.Fatalf("%s: %+v, %v", in.Operation, d, err)
		}
	}
	if n := p.index.cached.Load(); n != maxCachedCalls {
		t.Errorf("cached %d lists, want %d", n, maxCachedCalls)
	}
}
