package awsmodel

import "slices"

// SensitiveInput returns the names of op's input members, at any depth,
// whose shape botocore marks "sensitive": true (passwords, keys, secret
// values, personal data), sorted; nil when there are none or the operation
// is unknown. A sensitive structure, list or map is named by the member
// that holds it; its own members are not listed.
//
// Hold views and notifications mask every parameter of these names (at
// any depth; for the query protocol, any segment of a flattened name such
// as "Credentials.Password") before an approver sees the call.
func (ix *Index) SensitiveInput(service, op string) []string {
	o := ix.lookup(service, op)
	if o == nil {
		return nil
	}
	return slices.Clone(o.SensitiveIn)
}

// SensitiveOutput returns the names of op's output members, at any depth,
// whose shape botocore marks "sensitive": true, sorted; nil when there are
// none or the operation is unknown. The masker redacts every field of
// these names in that operation's response (sts AssumeRole:
// SecretAccessKey; kms Decrypt: Plaintext; secretsmanager GetSecretValue:
// SecretString, SecretBinary).
func (ix *Index) SensitiveOutput(service, op string) []string {
	o := ix.lookup(service, op)
	if o == nil {
		return nil
	}
	return slices.Clone(o.SensitiveOut)
}

func (ix *Index) lookup(service, op string) *operation {
	s, ok := ix.services[service]
	if !ok {
		return nil
	}
	o, ok, err := s.op(op)
	if err != nil || !ok {
		return nil
	}
	return o
}

// handSensitiveInput are input members that carry secrets botocore does not
// mark sensitive: MFA codes (s3 x-amz-mfa, sts TokenCode, iam
// AuthenticationCode1/2) and, though marked today, SSE-C keys, kept here so
// a model change cannot unmask them.
var handSensitiveInput = []string{
	"AuthenticationCode1", "AuthenticationCode2", // iam EnableMFADevice, ResyncMFADevice
	"CopySourceSSECustomerKey", "SSECustomerKey", // s3 SSE-C keys
	"MFA",       // s3 x-amz-mfa: device serial and code
	"TokenCode", // sts AssumeRole, GetSessionToken: MFA code
}

// HandSensitiveInput returns the input member names to mask in every
// operation in addition to SensitiveInput: the secrets the sensitive trait
// misses (MFA codes) and SSE-C keys.
func HandSensitiveInput() []string { return slices.Clone(handSensitiveInput) }
