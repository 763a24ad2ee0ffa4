package policy

import (
	"testing"
)

// TestDevPolicy checks that policies/dev.yaml loads and does what its
// comments say.
func TestDevPolicy(t *testing.T) {
	p, err := Load("../../policies/dev.yaml")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name     string
		in       Input
		want     Outcome
		wantRule string
	}{
		{"sandbox CreateBucket", Input{Principal: sandbox, Service: "s3", Operation: "CreateBucket", Params: map[string]any{"Bucket": "b"}}, Allow, "sandbox-allow"},
		{"sandbox PutObject", Input{Principal: sandbox, Service: "s3", Operation: "PutObject", Params: map[string]any{"Bucket": "b", "Key": "k"}}, Allow, "sandbox-allow"},
		{"sandbox GetObject", Input{Principal: sandbox, Service: "s3", Operation: "GetObject", ReadOnly: true}, Allow, "sandbox-allow"},
		{"sandbox DynamoDB PutItem", Input{Principal: sandbox, Service: "dynamodb", Operation: "PutItem"}, Allow, "sandbox-allow"},
		{"sandbox DeleteBucket", Input{Principal: sandbox, Service: "s3", Operation: "DeleteBucket"}, Deny, "sandbox-no-delete"},
		{"sandbox DeleteObject", Input{Principal: sandbox, Service: "s3", Operation: "DeleteObject"}, Hold, "sandbox-delete-object-needs-approval"},
		{"sandbox DeleteObjects", Input{Principal: sandbox, Service: "s3", Operation: "DeleteObjects"}, Deny, "sandbox-no-delete"},
		{"sandbox DeleteItem", Input{Principal: sandbox, Service: "dynamodb", Operation: "DeleteItem"}, Deny, "sandbox-no-delete"},
		{"sandbox AssumeRole", Input{Principal: sandbox, Service: "sts", Operation: "AssumeRole"}, Deny, BuiltinRuleName},
		{"sandbox CreateAccessKey", Input{Principal: sandbox, Service: "iam", Operation: "CreateAccessKey"}, Deny, BuiltinRuleName},
		{"other group CreateBucket", Input{Principal: nobody, Service: "s3", Operation: "CreateBucket"}, Deny, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, err := p.Evaluate(tt.in)
			if err != nil {
				t.Fatal(err)
			}
			if d.Outcome != tt.want || d.Rule != tt.wantRule {
				t.Errorf("decision = %s by %q (%s), want %s by %q", d.Outcome, d.Rule, d.Reason, tt.want, tt.wantRule)
			}
			if d.Outcome == Deny && d.Rule == "sandbox-no-delete" && d.Reason == "" {
				t.Error("delete denial has no reason")
			}
		})
	}
}
