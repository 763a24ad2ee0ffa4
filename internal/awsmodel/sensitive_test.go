package awsmodel

import (
	"slices"
	"testing"
)

func TestSensitiveMembers(t *testing.T) {
	ix := mustLoad(t)
	tests := []struct {
		name    string
		service string
		op      string
		in      []string // must all be listed in SensitiveInput
		out     []string // must all be listed in SensitiveOutput
	}{
		{"sts AssumeRole", "sts", "AssumeRole", nil, []string{"SecretAccessKey"}},
		{"sso GetRoleCredentials", "sso", "GetRoleCredentials", []string{"accessToken"}, []string{"secretAccessKey", "sessionToken"}},
		{"iam CreateAccessKey", "iam", "CreateAccessKey", nil, []string{"SecretAccessKey"}},
		{"kms Decrypt", "kms", "Decrypt", nil, []string{"Plaintext"}},
		{"kms Encrypt", "kms", "Encrypt", []string{"Plaintext"}, nil},
		{"secretsmanager GetSecretValue", "secretsmanager", "GetSecretValue", nil, []string{"SecretBinary", "SecretString"}},
		{"secretsmanager PutSecretValue", "secretsmanager", "PutSecretValue", []string{"SecretBinary", "SecretString"}, nil},
		{"ec2 CreateKeyPair", "ec2", "CreateKeyPair", nil, []string{"KeyMaterial"}},
		{"s3 GetObject SSE-C key", "s3", "GetObject", []string{"SSECustomerKey"}, nil},
		{"s3 CopyObject source SSE-C key", "s3", "CopyObject", []string{"CopySourceSSECustomerKey", "SSECustomerKey"}, nil},
		// nested: the password sits inside a list of structures
		{"rds CreateDBInstance", "rds", "CreateDBInstance", []string{"MasterUserPassword"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			gotIn, gotOut := ix.SensitiveInput(tt.service, tt.op), ix.SensitiveOutput(tt.service, tt.op)
			for _, m := range tt.in {
				if !slices.Contains(gotIn, m) {
					t.Errorf("SensitiveInput = %v, want %s", gotIn, m)
				}
			}
			for _, m := range tt.out {
				if !slices.Contains(gotOut, m) {
					t.Errorf("SensitiveOutput = %v, want %s", gotOut, m)
				}
			}
			if !slices.IsSorted(gotIn) || !slices.IsSorted(gotOut) {
				t.Errorf("not sorted: %v %v", gotIn, gotOut)
			}
		})
	}
	if got := ix.SensitiveOutput("s3", "ListBuckets"); got != nil {
		t.Errorf("ListBuckets SensitiveOutput = %v, want none", got)
	}
	if got := ix.SensitiveInput("nosuch", "Op"); got != nil {
		t.Errorf("unknown operation SensitiveInput = %v", got)
	}
}
