// Package rolelist is the allow-list of IAM roles jitgate lets agents name
// and lets the executor assume. The ingress checks the RoleArn of every
// AssumeRoleWithWebIdentity against it (optionally per OIDC group); the
// executor checks every role it is about to assume against its own copy,
// so a decision naming an unlisted role never runs, whatever Kafka says.
//
// An entry is an ARN glob, "arn:aws:iam::123456789012:role/ci-*", which any
// principal may use, or GROUP=ARN-GLOB, which only members of GROUP may use.
// In a glob `*` matches any run of characters (slashes and colons
// included) and `?` exactly one; there are no classes or escapes; matching
// is case-sensitive, as IAM ARNs are. An empty list allows no role: default
// deny.
package rolelist
