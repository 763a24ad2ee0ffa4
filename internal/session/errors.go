package session

import "errors"

var (
	// ErrExpired is returned by Sealer.Open for a session whose expiry has passed.
	// The agent should call AssumeRoleWithWebIdentity again.
	ErrExpired = errors.New("session: credentials have expired; assume the role again")

	// ErrInvalidToken is returned by Sealer.Open for a token that is malformed,
	// of an unknown version, or not sealed by any of the sealer's keys.
	ErrInvalidToken = errors.New("session: invalid session token")

	// ErrKeyMismatch is returned by Sealer.Open when the access key id the
	// request was signed with is not the one sealed in the token.
	ErrKeyMismatch = errors.New("session: access key id does not match the session token")

	// ErrInvalidKey is returned for a sealing key that is not 32 bytes, or that
	// cannot be parsed or read.
	ErrInvalidKey = errors.New("session: invalid sealing key (want 32 bytes, hex or base64)")

	// ErrInvalidTTL is returned by Sealer.Issue for a non-positive lifetime.
	ErrInvalidTTL = errors.New("session: lifetime must be positive")
)

// ErrTokenTooLarge is returned by Sealer.Issue when the principal (usually its
// groups) would make a token longer than MaxTokenLen. Trim the groups claim.
var ErrTokenTooLarge = errors.New("session: principal too large for a session token; reduce the groups or claims")
