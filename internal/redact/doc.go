// Package redact is jitgate's masking engine: it replaces sensitive values
// in AWS HTTP bodies (responses for the masker stage, request bodies for the
// recorder) while keeping each body valid for the agent's SDK.
//
// [New] compiles masking rules ([Rule]: field names or globs, optionally
// limited to a service and operation) together with the built-in credential
// rules ([BuiltinRules]), which are always on: a response that carries AWS
// credentials (sts AssumeRole*, GetSessionToken, iam CreateAccessKey, sso
// GetRoleCredentials, ecr GetAuthorizationToken, ...) reaches the agent with
// the secrets replaced, whatever the policy says.
//
// [Engine.Body] picks the format from the content type and rewrites only the
// bytes of redacted values, found by a streaming tokenizer:
//
//	json.go   JSON (jsontext token stream, in place; no decode to any)
//	xml.go    XML  (encoding/xml tokens + byte offsets; nothing re-encoded)
//	form.go   application/x-www-form-urlencoded request bodies
//	match.go  field patterns and the path matched against them
//	headers.go FixHeaders: Content-Length, X-Amz-Crc32, checksum headers
//	builtin.go the always-on credential rules
//
// A body that claims a format but does not parse is an error
// ([ErrInvalidBody]); callers fail closed. Other content types (binary, S3
// objects, event streams, CBOR) pass unchanged: event-stream and CBOR
// masking are later issues.
package redact
