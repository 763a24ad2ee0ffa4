package redact

// BuiltinRulePrefix starts the name of every built-in rule. Built-in rules
// are compiled into every [Engine] whatever the caller's rules say, so
// responses never carry credentials an agent could use to bypass the
// gateway.
const BuiltinRulePrefix = "builtin:"

// builtinRules returns the always-on rules (fresh slices each call).
//
// Only exact names are used, never globs: a glob such as "*Password*" would
// also hit IAM's PasswordLastUsed (a timestamp) or PasswordResetRequired (a
// boolean), and a masked timestamp breaks the agent's SDK. Every listed field
// is a string in the AWS models, so the mask keeps the body type-valid.
//
// AccessKeyId stays visible on purpose: it is an identifier (it appears in
// CloudTrail and is useful for audit) and grants nothing without its secret.
func builtinRules() []Rule {
	return []Rule{
		{
			Name: BuiltinRulePrefix + "credentials",
			Fields: []string{
				// AWS access keys: sts AssumeRole*/GetSessionToken/GetFederationToken/
				// AssumeRoot (Credentials.*), iam CreateAccessKey (AccessKey.*),
				// sso GetRoleCredentials (roleCredentials.secretAccessKey, lowercase JSON).
				"SecretAccessKey",
				"SessionToken",
				// cognito-identity GetCredentialsForIdentity (Credentials.SecretKey).
				"SecretKey",
				// ecr / ecr-public GetAuthorizationToken (authorizationData[].authorizationToken),
				// codeartifact GetAuthorizationToken.
				"authorizationToken",
				// sso-oidc CreateToken / CreateTokenWithIAM / RegisterClient,
				// cognito-idp InitiateAuth / RespondToAuthChallenge (AuthenticationResult.*).
				"accessToken",
				"refreshToken",
				"idToken",
				"clientSecret",
				// Bearer tokens in request bodies (query protocol forms the recorder keeps):
				// sts AssumeRoleWithWebIdentity / AssumeRoleWithSAML; sts GetWebIdentityToken output.
				"WebIdentityToken",
				"SAMLAssertion",
				// Passwords: iam CreateLoginProfile / ChangePassword requests, lightsail
				// GetInstanceAccessDetails (accessDetails.password), rds/redshift/docdb
				// MasterUserPassword requests, redshift GetClusterCredentials* and
				// redshift-serverless GetCredentials (DbPassword / dbPassword),
				// iam CreateServiceSpecificCredential (ServicePassword).
				"Password",
				"NewPassword",
				"OldPassword",
				"MasterUserPassword",
				"DbPassword",
				"ServicePassword",
				// Private keys: acm ExportCertificate (PrivateKey, request Passphrase),
				// iot CreateKeysAndCertificate (keyPair.PrivateKey), lightsail
				// (accessDetails.privateKey), ec2 CreateKeyPair (keyMaterial).
				"PrivateKey",
				"Passphrase",
				"KeyMaterial",
			},
		},
		{
			// cognito-identity GetOpenIdToken*: an OIDC token that
			// AssumeRoleWithWebIdentity accepts. "Token" is too generic for
			// every service.
			Name:    BuiltinRulePrefix + "cognito-identity-token",
			Service: "cognito-identity",
			Fields:  []string{"Token"},
		},
		{
			// lightsail GetInstanceAccessDetails: SSH certificate key.
			Name:    BuiltinRulePrefix + "lightsail-access-details",
			Service: "lightsail",
			Fields:  []string{"certKey"},
		},
	}
}

// BuiltinRules returns a copy of the rules every [Engine] applies in
// addition to the caller's, for documentation and for `jitgate` to list.
func BuiltinRules() []Rule { return builtinRules() }
