package policy

import (
	"errors"
	"testing"
)

func FuzzParse(f *testing.F) {
	f.Add([]byte(examplePolicy))
	f.Add([]byte(policyV1))
	f.Add([]byte(policyBad))
	f.Add([]byte("version: 1\nrules:\n  - &a {name: x, when: 'true', then: allow}\n  - *a\n"))
	f.Add([]byte("version: 1\nallow_credential_minting: true\nrules:\n  - {name: h, when: 'cidr(source, \"10.0.0.0/8\")', then: hold, approvers: [a], grant: {scope: expr, match: 'true'}}\n"))
	in := Input{
		Principal: sandbox, Service: "s3", Operation: "AssumeRole", Source: "10.0.0.1",
		Params: map[string]any{"Bucket": "b", "Key": "k", "InstanceIds": []any{"i-1"}},
	}
	f.Fuzz(func(t *testing.T, src []byte) {
		p, err := Parse(src, "fuzz.yaml")
		if err != nil {
			if !errors.Is(err, ErrInvalidPolicy) {
				t.Fatalf("error does not wrap ErrInvalidPolicy: %v", err)
			}
			return
		}
		d, _ := p.Evaluate(in)
		if !d.Outcome.Valid() {
			t.Fatalf("invalid outcome %q", d.Outcome)
		}
		if d.Outcome == Hold && (d.Hold == nil || len(d.Hold.Approvers) == 0 || d.Hold.Approvals < 1) {
			t.Fatalf("hold without a valid spec: %+v", d.Hold)
		}
		p.Explain(in)
	})
}
