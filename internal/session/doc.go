// Package session issues and verifies jitgate session credentials.
//
// A session is what an agent receives from AssumeRoleWithWebIdentity: an
// access key id, a secret access key and a session token. The token is the
// whole session (principal, groups, role, secret and expiry) sealed with
// AES-256-GCM under a key that every ingress replica holds, so any replica can
// verify a SigV4 request without shared state: it opens the token named by
// X-Amz-Security-Token, checks that the access key id in the credential scope
// matches, and uses the secret inside to check the signature.
//
// Token layout (then base64url without padding):
//
//	version (1 byte, 0x01) | nonce (12 bytes) | AES-256-GCM ciphertext and tag
//
// The version byte is the additional authenticated data, so it cannot be
// changed without detection. A Sealer seals with its first key and opens with
// any of its keys, which is how keys are rotated: add the new key first, keep
// the old one until every session sealed with it has expired, then drop it.
package session
