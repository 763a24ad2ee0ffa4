package awsmodel

import (
	"slices"
	"strings"

	"github.com/jitgate/jitgate/internal/awsmodel/internal/modelfile"
)

// Effect classes of an operation. Every operation in the index has at
// least one; many have several (dynamodb BatchWriteItem is write and
// delete, iam DeleteRolePolicy is delete and permissions).
const (
	// EffectRead returns data and changes nothing (Get*, Describe*, Head*, Query).
	EffectRead = "read"
	// EffectList enumerates resources or items (List*, Search*, Scan).
	EffectList = "list"
	// EffectWrite creates or changes resources or data.
	EffectWrite = "write"
	// EffectDelete removes resources, data, links or access, now or later:
	// Delete*, Remove*, Terminate*, Detach*, Disassociate*, Revoke*,
	// Deregister*, Purge*, batch and transactional writes that may delete
	// (dynamodb BatchWriteItem, TransactWriteItems, s3 DeleteObjects) and
	// lifecycle, retention and expiry rules.
	EffectDelete = "delete"
	// EffectPermissions changes who may do what: IAM, resource policies
	// (Put*Policy), ACLs, grants, sharing, security groups.
	EffectPermissions = "permissions"
	// EffectCredentials hands out usable access or secrets: sts AssumeRole*,
	// GetSessionToken, iam CreateAccessKey, ec2 CreateKeyPair, ssm
	// StartSession, secretsmanager GetSecretValue, kms Decrypt, ...
	EffectCredentials = "credentials"
	// EffectExecute runs code, commands, queries or jobs, or changes what
	// runs (lambda Invoke, ssm SendCommand, ec2 RunInstances, Start*, Stop*).
	EffectExecute = "execute"
)

// Effects lists every effect class, in the order Operation.Effects and
// Index.Effects report them.
func Effects() []string {
	out := make([]string, len(modelfile.EffectLetters))
	for i, l := range modelfile.EffectLetters {
		out[i] = l.Name
	}
	return out
}

// Effects returns the effect classes of operation op of service, in the
// order of the Effects function, and false when the index has no such
// operation. The classes come from the generator: the operation's verb,
// HTTP method and sensitive outputs, corrected by the curated table
// gen/effects.txt.
func (ix *Index) Effects(service, op string) ([]string, bool) {
	s, ok := ix.services[service]
	if !ok {
		return nil, false
	}
	o, ok, err := s.op(op)
	if err != nil || !ok {
		return nil, false
	}
	return effectNames(o.Effects), true
}

// effectNames decodes modelfile effect letters ("wd") into names.
func effectNames(letters string) []string {
	out := make([]string, 0, len(letters))
	for _, l := range modelfile.EffectLetters {
		if strings.IndexByte(letters, l.Letter) >= 0 {
			out = append(out, l.Name)
		}
	}
	return out
}

// HasEffect reports whether effects contains effect.
func HasEffect(effects []string, effect string) bool {
	return slices.Contains(effects, effect)
}
