package policy

import (
	"fmt"
	"strings"
	"testing"
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
