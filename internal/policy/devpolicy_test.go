package policy

import (
	"testing"

	"github.com/jitgate/jitgate/internal/awsmodel"
)

// withEffects fills in.Effects from the gateway's model, as the decider
// does, so these tests judge the operations' real effect classes.
func withEffects(t *testing.T, ix *awsmodel.Index, in Input) Input {
	t.Helper()
	e, ok := ix.Effects(in.Service, in.Operation)
	if !ok {
		t.Fatalf("%s:%s is not in the model", in.Service, in.Operation)
	}
	in.Effects = e
	return in
}

// TestDevPolicy checks that policies/dev.yaml loads and does what its
// comments say: sandbox agents may not delete, whatever the operation is
// called.
func TestDevPolicy(t *testing.T) {
	p, err := Load("../../policies/dev.yaml")
	if err != nil {
		t.Fatal(err)
	}
	ix, err := awsmodel.Load()
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
		{"sandbox DynamoDB UpdateItem", Input{Principal: sandbox, Service: "dynamodb", Operation: "UpdateItem"}, Allow, "sandbox-allow"},
		{"sandbox StartInstances", Input{Principal: sandbox, Service: "ec2", Operation: "StartInstances"}, Allow, "sandbox-allow"},
		{"sandbox DeleteBucket", Input{Principal: sandbox, Service: "s3", Operation: "DeleteBucket"}, Deny, "sandbox-no-delete"},
		{"sandbox DeleteObject", Input{Principal: sandbox, Service: "s3", Operation: "DeleteObject"}, Hold, "sandbox-delete-object-needs-approval"},
		{"sandbox DeleteObjects", Input{Principal: sandbox, Service: "s3", Operation: "DeleteObjects"}, Deny, "sandbox-no-delete"},
		{"sandbox DeleteItem", Input{Principal: sandbox, Service: "dynamodb", Operation: "DeleteItem"}, Deny, "sandbox-no-delete"},
		// Deletes other operations perform: a name glob misses every one.
		{"sandbox BatchWriteItem", Input{Principal: sandbox, Service: "dynamodb", Operation: "BatchWriteItem"}, Deny, "sandbox-no-delete"},
		{"sandbox TransactWriteItems", Input{Principal: sandbox, Service: "dynamodb", Operation: "TransactWriteItems"}, Deny, "sandbox-no-delete"},
		{"sandbox PurgeQueue", Input{Principal: sandbox, Service: "sqs", Operation: "PurgeQueue"}, Deny, "sandbox-no-delete"},
		{"sandbox TerminateInstances", Input{Principal: sandbox, Service: "ec2", Operation: "TerminateInstances"}, Deny, "sandbox-no-delete"},
		{"sandbox lifecycle expiry", Input{Principal: sandbox, Service: "s3", Operation: "PutBucketLifecycleConfiguration"}, Deny, "sandbox-no-delete"},
		{"sandbox DetachVolume", Input{Principal: sandbox, Service: "ec2", Operation: "DetachVolume"}, Deny, "sandbox-no-delete"},
		{"sandbox PutBucketPolicy", Input{Principal: sandbox, Service: "s3", Operation: "PutBucketPolicy"}, Deny, "sandbox-no-permission-changes"},
		{"sandbox AttachRolePolicy", Input{Principal: sandbox, Service: "iam", Operation: "AttachRolePolicy"}, Deny, "sandbox-no-permission-changes"},
		{"sandbox AssumeRole", Input{Principal: sandbox, Service: "sts", Operation: "AssumeRole"}, Deny, BuiltinRuleName},
		{"sandbox CreateAccessKey", Input{Principal: sandbox, Service: "iam", Operation: "CreateAccessKey"}, Deny, BuiltinRuleName},
		{"sandbox GetSecretValue", Input{Principal: sandbox, Service: "secretsmanager", Operation: "GetSecretValue"}, Deny, BuiltinRuleName},
		{"sandbox CreateKeyPair", Input{Principal: sandbox, Service: "ec2", Operation: "CreateKeyPair"}, Deny, BuiltinRuleName},
		{"other group CreateBucket", Input{Principal: nobody, Service: "s3", Operation: "CreateBucket"}, Deny, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, err := p.Evaluate(withEffects(t, ix, tt.in))
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
