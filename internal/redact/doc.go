// Package redact is jitgate's masking engine: it replaces sensitive values
// in AWS HTTP bodies (responses for the masker stage, request bodies for the
// recorder) while keeping each body valid for the agent's SDK.
//
// [New] compiles masking rules ([Rule]: field names or globs, value
// detectors and custom regexes with allow lists, a replacement mode, and a
// scope of service and operation globs, principals and groups) together with the built-in credential
// rules ([BuiltinRules]), which are always on: a response that carries AWS
// credentials or other access (sts AssumeRole*, GetSessionToken, iam
// CreateAccessKey and CreateVirtualMFADevice, sso GetRoleCredentials, ecr
// GetAuthorizationToken, ec2 CreateKeyPair and GetPasswordData, ssm
// StartSession, ecs ExecuteCommand, secretsmanager GetSecretValue, kms
// Decrypt, ...) reaches the agent with the secrets replaced, whatever the
// policy says. [WithSensitive] adds, per operation, the member names
// botocore marks "sensitive"; the built-in rules keep what that trait
// misses.
//
// [Engine.Body] picks the format from the content type and rewrites only the
// bytes of redacted values, found by a streaming tokenizer:
//
//	json.go   JSON (jsontext token stream, in place; no decode to any)
//	xml.go    XML  (encoding/xml tokens + byte offsets; nothing re-encoded)
//	cbor.go   CBOR (smithy rpc-v2-cbor; item walk, strings replaced whole)
//	form.go   application/x-www-form-urlencoded request bodies
//	rule.go   Rule, its compiled form, validation, and Scope (who and what a rule applies to)
//	match.go  field patterns and the path matched against them
//	detectors.go which detectors run on a string, and merging their matches
//	replace.go the replacement modes: full, last N, placeholder, keyed hash
//	detect/   the value detectors themselves (email, card, IBAN, ...)
//	headers.go FixHeaders: Content-Length, X-Amz-Crc32, checksum headers
//	encoding.go Decode: gzip and deflate Content-Encoding, size-capped
//	maskable.go which responses must be read whole
//	builtin.go the always-on credential rules (the hand list)
//
// A body that claims a format but does not parse is an error
// ([ErrInvalidBody]); callers fail closed. So is a Content-Encoding
// [Decode] cannot read ([ErrUnsupportedEncoding]). Other content types
// (binary, S3 objects, event streams) pass unchanged: event-stream masking
// is a later issue.
package redact
