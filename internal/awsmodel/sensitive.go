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
