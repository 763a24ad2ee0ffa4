package awsmodel

import (
	"slices"
	"testing"
)

// TestEveryOperationHasEffects walks every operation of every service in
// the index: an operation without an effect class could slip past every
// rule written by effect.
func TestEveryOperationHasEffects(t *testing.T) {
	ix := mustLoad(t)
	known := Effects()
	ops := 0
	for _, id := range ix.Services() {
		s := ix.services[id]
		if err := s.load(); err != nil {
			t.Fatal(err)
		}
		for name := range s.ops {
			ops++
			effects, ok := ix.Effects(id, name)
			if !ok || len(effects) == 0 {
				t.Errorf("%s:%s has no effect class", id, name)
				continue
			}
			for _, e := range effects {
				if !slices.Contains(known, e) {
					t.Errorf("%s:%s has unknown effect %q", id, name, e)
				}
			}
		}
	}
	if ops < 15000 {
		t.Errorf("walked only %d operations", ops)
	}
}

func TestEffects(t *testing.T) {
	ix := mustLoad(t)
	tests := []struct {
		name    string
		service string
		op      string
		want    []string // must all be present
		notWant []string // must all be absent
	}{
		// credentials
		{"sts AssumeRole", "sts", "AssumeRole", []string{EffectCredentials}, nil},
		{"sts AssumeRoleWithSAML", "sts", "AssumeRoleWithSAML", []string{EffectCredentials}, nil},
		{"sts GetSessionToken", "sts", "GetSessionToken", []string{EffectCredentials}, nil},
		{"sts GetFederationToken", "sts", "GetFederationToken", []string{EffectCredentials}, nil},
		{"sts GetCallerIdentity", "sts", "GetCallerIdentity", []string{EffectRead}, []string{EffectCredentials}},
		{"sso GetRoleCredentials", "sso", "GetRoleCredentials", []string{EffectCredentials}, nil},
		{"ecr GetAuthorizationToken", "ecr", "GetAuthorizationToken", []string{EffectCredentials}, nil},
		{"iam CreateAccessKey", "iam", "CreateAccessKey", []string{EffectCredentials}, nil},
		{"iam CreateLoginProfile", "iam", "CreateLoginProfile", []string{EffectCredentials}, nil},
		{"iam CreateServiceSpecificCredential", "iam", "CreateServiceSpecificCredential", []string{EffectCredentials}, nil},
		{"iam CreateVirtualMFADevice", "iam", "CreateVirtualMFADevice", []string{EffectCredentials}, nil},
		{"ec2 CreateKeyPair", "ec2", "CreateKeyPair", []string{EffectCredentials}, nil},
		{"ec2 GetPasswordData", "ec2", "GetPasswordData", []string{EffectCredentials}, nil},
		{"ssm StartSession", "ssm", "StartSession", []string{EffectCredentials}, nil},
		{"ecs ExecuteCommand", "ecs", "ExecuteCommand", []string{EffectCredentials, EffectExecute}, nil},
		{"ec2-instance-connect SendSSHPublicKey", "ec2-instance-connect", "SendSSHPublicKey", []string{EffectCredentials}, nil},
		{"redshift GetClusterCredentials", "redshift", "GetClusterCredentials", []string{EffectCredentials}, nil},
		{"secretsmanager GetSecretValue", "secretsmanager", "GetSecretValue", []string{EffectCredentials}, nil},
		{"kms Decrypt", "kms", "Decrypt", []string{EffectCredentials}, nil},
		{"kms GenerateDataKey", "kms", "GenerateDataKey", []string{EffectCredentials}, nil},
		{"kms GenerateDataKeyWithoutPlaintext", "kms", "GenerateDataKeyWithoutPlaintext", nil, []string{EffectCredentials}},
		{"kms Encrypt", "kms", "Encrypt", []string{EffectRead}, []string{EffectCredentials}},
		{"rds CreateDBInstance echoes a password", "rds", "CreateDBInstance", []string{EffectWrite}, []string{EffectCredentials}},
		{"waf GetChangeToken", "waf", "GetChangeToken", nil, []string{EffectCredentials}},
		// deletes that are not named Delete*
		{"dynamodb BatchWriteItem", "dynamodb", "BatchWriteItem", []string{EffectWrite, EffectDelete}, nil},
		{"dynamodb TransactWriteItems", "dynamodb", "TransactWriteItems", []string{EffectWrite, EffectDelete}, nil},
		{"dynamodb ExecuteStatement", "dynamodb", "ExecuteStatement", []string{EffectRead, EffectWrite, EffectDelete}, nil},
		{"s3 DeleteObjects", "s3", "DeleteObjects", []string{EffectDelete}, nil},
		{"s3 PutBucketLifecycleConfiguration", "s3", "PutBucketLifecycleConfiguration", []string{EffectWrite, EffectDelete}, nil},
		{"sqs PurgeQueue", "sqs", "PurgeQueue", []string{EffectDelete}, nil},
		{"ec2 TerminateInstances", "ec2", "TerminateInstances", []string{EffectDelete}, nil},
		{"ec2 DetachVolume", "ec2", "DetachVolume", []string{EffectDelete}, nil},
		{"ec2 DisassociateAddress", "ec2", "DisassociateAddress", []string{EffectDelete}, nil},
		{"iam RemoveRoleFromInstanceProfile", "iam", "RemoveRoleFromInstanceProfile", []string{EffectDelete, EffectPermissions}, nil},
		{"logs PutRetentionPolicy", "logs", "PutRetentionPolicy", []string{EffectDelete}, []string{EffectPermissions}},
		{"kms ScheduleKeyDeletion", "kms", "ScheduleKeyDeletion", []string{EffectDelete}, nil},
		{"cloudformation UpdateStack", "cloudformation", "UpdateStack", []string{EffectDelete}, nil},
		// permissions
		{"s3 PutBucketPolicy", "s3", "PutBucketPolicy", []string{EffectPermissions}, nil},
		{"s3 PutBucketAcl", "s3", "PutBucketAcl", []string{EffectPermissions}, nil},
		{"s3 DeleteBucketPolicy", "s3", "DeleteBucketPolicy", []string{EffectDelete, EffectPermissions}, nil},
		{"iam PutRolePolicy", "iam", "PutRolePolicy", []string{EffectPermissions}, nil},
		{"iam AttachRolePolicy", "iam", "AttachRolePolicy", []string{EffectPermissions}, nil},
		{"lambda AddPermission", "lambda", "AddPermission", []string{EffectPermissions}, nil},
		{"kms CreateGrant", "kms", "CreateGrant", []string{EffectPermissions}, nil},
		{"ec2 AuthorizeSecurityGroupIngress", "ec2", "AuthorizeSecurityGroupIngress", []string{EffectPermissions}, nil},
		{"sqs SetQueueAttributes", "sqs", "SetQueueAttributes", []string{EffectPermissions}, nil},
		{"autoscaling PutScalingPolicy", "autoscaling", "PutScalingPolicy", []string{EffectWrite}, []string{EffectPermissions}},
		{"iam GetRolePolicy reads", "iam", "GetRolePolicy", []string{EffectRead}, []string{EffectPermissions, EffectWrite}},
		// reads, lists, writes, execute
		{"s3 GetObject", "s3", "GetObject", []string{EffectRead}, []string{EffectWrite, EffectDelete}},
		{"s3 ListObjectsV2", "s3", "ListObjectsV2", []string{EffectList}, []string{EffectWrite}},
		{"s3 PutObject", "s3", "PutObject", []string{EffectWrite}, []string{EffectDelete, EffectPermissions}},
		{"dynamodb PutItem", "dynamodb", "PutItem", []string{EffectWrite}, []string{EffectDelete}},
		{"dynamodb Scan", "dynamodb", "Scan", []string{EffectRead, EffectList}, nil},
		{"lambda Invoke", "lambda", "Invoke", []string{EffectExecute}, nil},
		{"ssm SendCommand", "ssm", "SendCommand", []string{EffectExecute, EffectDelete}, nil},
		{"ec2 RunInstances", "ec2", "RunInstances", []string{EffectWrite, EffectExecute}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := ix.Effects(tt.service, tt.op)
			if !ok {
				t.Fatalf("%s:%s not in the index", tt.service, tt.op)
			}
			for _, e := range tt.want {
				if !HasEffect(got, e) {
					t.Errorf("effects = %v, want %s", got, e)
				}
			}
			for _, e := range tt.notWant {
				if HasEffect(got, e) {
					t.Errorf("effects = %v, must not have %s", got, e)
				}
			}
			info, _ := ix.Operation(tt.service, tt.op)
			if !slices.Equal(info.Effects, got) {
				t.Errorf("OperationInfo.Effects = %v, Index.Effects = %v", info.Effects, got)
			}
		})
	}
	if _, ok := ix.Effects("s3", "NoSuchOperation"); ok {
		t.Error("unknown operation has effects")
	}
	if _, ok := ix.Effects("nosuchservice", "GetObject"); ok {
		t.Error("unknown service has effects")
	}
}
