package bench

import (
	"fmt"
	"strings"
	"testing"

	"github.com/jitgate/jitgate/internal/policy"
)

// BenchmarkDecision evaluates policies of 10, 100 and 1000 rules, each
// naming a service and an operation as real rules do, where only the last
// rule matches: first-match evaluation's worst case. It sits here, outside
// internal/policy, only while that package is being rewritten; it uses
// nothing but policy.Parse and Evaluate, and belongs beside
// BenchmarkEvaluate50 once the rewrite lands.
func BenchmarkDecision(b *testing.B) {
	services := []string{"s3", "dynamodb", "sqs", "lambda", "ec2", "sns", "kms", "logs"}
	in := policy.Input{
		Principal: policy.Principal{Sub: "agent", Groups: []string{"sandbox", "dev"}},
		Service:   "dynamodb", Operation: "GetItem", Region: "us-east-1", ReadOnly: true, Source: "127.0.0.1",
		Params:  map[string]any{"TableName": "orders", "Key": map[string]any{"pk": map[string]any{"S": "1"}}},
		Effects: []string{"read"},
	}
	for _, n := range []int{10, 100, 1000} {
		var sb strings.Builder
		sb.WriteString("version: 1\nrules:\n")
		for i := range n - 1 {
			fmt.Fprintf(&sb, "  - name: r%d\n    when: 'service == %q && operation == \"Op%d\" && \"team-%d\" in principal.groups'\n    then: deny\n    reason: r%d\n",
				i, services[i%len(services)], i, i, i)
		}
		sb.WriteString("  - name: last\n    when: '\"sandbox\" in principal.groups && service == \"dynamodb\"'\n    then: allow\n    reason: last\n")
		p, err := policy.Parse([]byte(sb.String()), fmt.Sprintf("bench-%d.yaml", n))
		if err != nil {
			b.Fatal(err)
		}
		if d, err := p.Evaluate(in); err != nil || d.Rule != "last" {
			b.Fatalf("setup: %+v %v", d, err)
		}
		b.Run(fmt.Sprintf("rules=%d", n), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := p.Evaluate(in); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "decisions/s")
		})
	}
}
