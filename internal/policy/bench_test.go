package policy

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"
)

// BenchmarkEvaluate50 evaluates a 50-rule policy where only the last rule
// matches, the worst case for first-match evaluation.
func BenchmarkEvaluate50(b *testing.B) {
	var sb strings.Builder
	sb.WriteString("version: 1\nrules:\n")
	for i := range 49 {
		fmt.Fprintf(&sb, "  - name: r%d\n    when: '\"team-%d\" in principal.groups && glob(operation, \"Put*\") && resources.bucket == \"b%d\"'\n    then: deny\n", i, i, i)
	}
	sb.WriteString("  - name: last\n    when: '\"sandbox\" in principal.groups && cidr(source, \"10.0.0.0/8\")'\n    then: allow\n")
	p := mustParse(b, sb.String())
	in := Input{
		Principal: Principal{Sub: "agent", Groups: []string{"sandbox", "dev"}},
		Service:   "s3", Operation: "PutObject", Region: "eu-west-1", Source: "10.1.2.3",
		Params: map[string]any{"Bucket": "data", "Key": "k/1.json", "ContentType": "application/json"},
	}
	if d, err := p.Evaluate(in); err != nil || d.Rule != "last" {
		b.Fatalf("setup: %+v %v", d, err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := p.Evaluate(in); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkEvaluate decides a realistic mix of calls (gen_test.go) under
// realistic policies of 10, 100 and 1000 rules, with the index (Evaluate)
// and without (every rule in order, the oracle of the index tests);
// decisions/s per core is 1e9 / ns/op.
func BenchmarkEvaluate(b *testing.B) {
	for _, n := range []int{10, 100, 1000} {
		p := mustParse(b, realisticPolicy(n))
		ins := realisticInputs(b, rand.New(rand.NewPCG(1, uint64(n))), 256, max(n/len(realisticTemplates), 1))
		for i := range ins {
			ins[i].Time = benchTime
		}
		for _, e := range []struct {
			name string
			eval func(Input) (Decision, error)
		}{{"indexed", p.Evaluate}, {"linear", p.evaluateLinear}} {
			b.Run(fmt.Sprintf("rules=%d/%s", n, e.name), func(b *testing.B) {
				b.ReportAllocs()
				i := 0
				for b.Loop() {
					if _, err := e.eval(ins[i%len(ins)]); err != nil {
						b.Fatal(err)
					}
					i++
				}
			})
		}
	}
}

var benchTime = time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)
