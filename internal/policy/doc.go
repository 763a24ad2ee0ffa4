// Package policy is jitgate's policy language: an ordered list of rules,
// each an expr boolean expression (`when`) with an outcome (`then`: allow,
// deny or hold), evaluated first match wins with a default of deny.
//
// A policy file is YAML. [Parse] and [Load] validate it completely and
// compile every expression once against a typed environment ([Env]), so a
// misspelled field, a type error or a syntax error is reported at load time
// as a [*RuleError] naming the file, rule, YAML line and column, and the
// expression's own line:column. [Policy.Evaluate] then runs the compiled
// programs; it never compiles. It runs only the rules an index leaves for
// the call's service and operation (index.go, analyze.go: conditions read
// from each expression at load), in order, and decides exactly as running
// every rule would, run-time errors included; [Policy.Explain] runs every
// rule.
//
// Rules see what a call does, not only its name: call.effects lists the
// operation's effect classes from the gateway's AWS model ("read", "list",
// "write", "delete", "permissions", "credentials", "execute"), so
// `"delete" in call.effects` catches dynamodb BatchWriteItem, sqs
// PurgeQueue and ec2 TerminateInstances as well as Delete*. The caller
// fills [Input.Effects] from its own model.
//
// Safety: unless the file sets allow_credential_minting: true, a built-in
// rule ([BuiltinRuleName]) runs before every user rule and denies every
// call with the "credentials" effect (sts AssumeRole*, GetSessionToken,
// iam CreateAccessKey, ec2 CreateKeyPair, ssm StartSession,
// secretsmanager GetSecretValue, kms Decrypt, ...) and, should effects be
// missing, the operations listed by [CredentialMintingOperations]. With the opt-in, such an
// operation is only allowed or held by a rule whose `when` names the
// operation as a string literal; a broader rule that happens to match is
// turned into a deny.
//
// A [Watcher] reloads the file when it changes (polling size, mtime and
// content hash) or on demand ([Watcher.Reload], e.g. on SIGHUP); a bad file
// keeps the previous policy.
//
// The language reference is docs/policy.md.
package policy
