package policy

import (
	"slices"
	"strings"
)

// BuiltinRuleName names the built-in rule that denies credential-minting
// operations; it is the Rule of the decisions it makes.
const BuiltinRuleName = "builtin:deny-credential-minting"

// CredentialsEffect is the effect class (Input.Effects, call.effects) of
// operations that hand out usable access or secrets; the built-in rule
// denies every call that has it.
const CredentialsEffect = "credentials"

// ServiceOperation names one AWS operation. An empty Service matches the
// operation in every service.
type ServiceOperation struct {
	Service   string
	Operation string
}

// String renders "service:Operation" ("*:Operation" for any service).
func (so ServiceOperation) String() string {
	s := so.Service
	if s == "" {
		s = "*"
	}
	return s + ":" + so.Operation
}

// credentialMinting lists operations whose responses carry credentials an
// agent could use to bypass the gateway. The built-in rule denies by
// effect (CredentialsEffect, from the gateway's AWS model); this list is
// the second wall for a call whose effects are missing. Names unambiguous
// across AWS are matched in every service so a misidentified service
// cannot slip through.
var credentialMinting = []ServiceOperation{
	{"", "AssumeRole"},
	{"", "AssumeRoleWithSAML"},
	{"", "AssumeRoleWithWebIdentity"}, // the gateway answers its own; a forwarded one would mint real credentials
	{"", "AssumeRoot"},
	{"", "GetSessionToken"},
	{"", "GetFederationToken"},
	{"sts", "GetWebIdentityToken"},
	{"", "GetRoleCredentials"}, // sso
	{"sso-oidc", "CreateToken"},
	{"sso-oidc", "CreateTokenWithIAM"},
	{"", "GetAuthorizationToken"}, // ecr, ecr-public, codeartifact
	{"", "CreateAccessKey"},       // iam
	{"iam", "UpdateAccessKey"},    // re-activates a key
	{"", "CreateLoginProfile"},
	{"", "UpdateLoginProfile"},
	{"", "CreateServiceSpecificCredential"},
	{"", "ResetServiceSpecificCredential"},
	{"iam", "UploadSSHPublicKey"},
	{"", "GetCredentialsForIdentity"}, // cognito-identity
	{"cognito-identity", "GetOpenIdToken"},
	{"cognito-identity", "GetOpenIdTokenForDeveloperIdentity"},
	{"", "GetClusterCredentials"}, // redshift
	{"", "GetClusterCredentialsWithIAM"},
	{"redshift-serverless", "GetCredentials"},
	{"ec2-instance-connect", "SendSSHPublicKey"},
	{"ec2-instance-connect", "SendSerialConsoleSSHPublicKey"},
	{"lightsail", "GetInstanceAccessDetails"},
}

// CredentialMintingOperations returns the operations the built-in rule
// denies. The result is a copy.
func CredentialMintingOperations() []ServiceOperation {
	return append([]ServiceOperation(nil), credentialMinting...)
}

// CredentialCall reports whether a call mints credentials: its effects
// include CredentialsEffect, or its name is one of
// CredentialMintingOperations.
func CredentialCall(service, operation string, effects []string) bool {
	return slices.Contains(effects, CredentialsEffect) || IsCredentialMinting(service, operation)
}

// IsCredentialMinting reports whether the operation is one of
// CredentialMintingOperations (service is compared case-insensitively).
// Prefer CredentialCall, which also sees the call's effects.
func IsCredentialMinting(service, operation string) bool {
	for _, so := range credentialMinting {
		if so.Operation == operation && (so.Service == "" || strings.EqualFold(so.Service, service)) {
			return true
		}
	}
	return false
}

// builtinRule is the rule listed first by Policy.Rules while credential
// minting is not allowed.
func builtinRule() Rule {
	return Rule{
		Name:    BuiltinRuleName,
		When:    `"credentials" in call.effects, or a credential-minting operation (see CredentialMintingOperations)`,
		Then:    Deny,
		Reason:  "credential-minting calls would let the agent bypass the gateway (set allow_credential_minting: true and name the operation in a rule to permit it)",
		Builtin: true,
	}
}
