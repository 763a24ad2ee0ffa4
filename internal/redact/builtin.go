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
// These rules are the hand list: they hold what botocore's "sensitive"
// trait (applied through [WithSensitive]) misses, and repeat what it covers
// for credentials, so that masking them does not depend on the model index
// being wired in. Fields that are blobs in JSON and XML carry Base64 so the
// SDK still decodes the mask.
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
			// Session access: ssm StartSession / ResumeSession and sagemaker
			// StartSession (StreamUrl, TokenValue), ecs ExecuteCommand
			// (session.streamUrl, session.tokenValue), codebuild
			// StartSandboxConnection; athena notebook and gamelift compute
			// tokens (AuthToken); appstream Create*StreamingURL. A stream URL
			// is useless without its token, but both are masked so neither
			// half reaches the agent. Only tokenValue is marked sensitive in
			// botocore, and only for ecs.
			Name:   BuiltinRulePrefix + "sessions",
			Fields: []string{"StreamUrl", "StreamingURL", "AuthToken"},
		},
		{
			// Secrets whose names are safe to mask everywhere:
			// secretsmanager GetSecretValue / BatchGetSecretValue
			// (SecretString), GetRandomPassword (RandomPassword);
			// ec2 GetPasswordData (passwordData, encrypted with the key pair
			// the agent may hold); ec2 Create/DescribeVpnConnection
			// (customerGatewayConfiguration holds the tunnels' pre-shared keys);
			// iam Create/ResetServiceSpecificCredential (ServiceCredentialSecret).
			Name:   BuiltinRulePrefix + "secrets",
			Fields: []string{"SecretString", "RandomPassword", "PasswordData", "PreSharedKey", "CustomerGatewayConfiguration", "ServiceCredentialSecret"},
		},
		{
			// secretsmanager GetSecretValue / BatchGetSecretValue: a blob.
			Name:   BuiltinRulePrefix + "secret-binary",
			Fields: []string{"SecretBinary"},
			Base64: true,
		},
		{
			// iam CreateVirtualMFADevice: the MFA device's seed, as text and
			// as a QR code (both blobs). Whoever holds it can produce the
			// codes of an MFA device the gateway's role may rely on.
			Name:    BuiltinRulePrefix + "iam-virtual-mfa",
			Service: "iam",
			Fields:  []string{"Base32StringSeed", "QRCodePNG"},
			Base64:  true,
		},
		{
			// kms Decrypt, GenerateDataKey, GenerateRandom (Plaintext),
			// GenerateDataKeyPair (PrivateKeyPlaintext), DeriveSharedSecret
			// (SharedSecret): key material and plaintexts, all blobs.
			// "Plaintext" is generic: kms only.
			Name:    BuiltinRulePrefix + "kms-plaintext",
			Service: "kms",
			Fields:  []string{"Plaintext", "PrivateKeyPlaintext", "SharedSecret"},
			Base64:  true,
		},
		{
			// ssm, ecs, sagemaker and codebuild session tokens; other
			// services use TokenValue for values that are not secret (ec2
			// IPAM verification tokens the owner must publish in DNS).
			Name:    BuiltinRulePrefix + "ssm-session",
			Service: "ssm",
			Fields:  []string{"TokenValue"},
		},
		{
			Name:    BuiltinRulePrefix + "ecs-session",
			Service: "ecs",
			Fields:  []string{"TokenValue"},
		},
		{
			Name:    BuiltinRulePrefix + "sagemaker-session",
			Service: "sagemaker",
			Fields:  []string{"TokenValue"},
		},
		{
			Name:    BuiltinRulePrefix + "codebuild-session",
			Service: "codebuild",
			Fields:  []string{"TokenValue"},
		},
		{
			// gamelift GetInstanceAccess (InstanceAccess.Credentials.Secret:
			// an instance's SSH key or Windows password); "Secret" is generic.
			Name:    BuiltinRulePrefix + "gamelift-instance-access",
			Service: "gamelift",
			Fields:  []string{"Secret"},
		},
		{
			// cognito-idp AssociateSoftwareToken: the TOTP seed.
			Name:    BuiltinRulePrefix + "cognito-idp-totp",
			Service: "cognito-idp",
			Fields:  []string{"SecretCode"},
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
			// lightsail GetInstanceAccessDetails: SSH certificate key;
			// CreateKeyPair / DownloadDefaultKeyPair: the private key.
			Name:    BuiltinRulePrefix + "lightsail-access-details",
			Service: "lightsail",
			Fields:  []string{"certKey", "privateKeyBase64"},
		},
	}
}

// BuiltinRules returns a copy of the rules every [Engine] applies in
// addition to the caller's, for documentation and for `jitgate` to list.
func BuiltinRules() []Rule { return builtinRules() }
