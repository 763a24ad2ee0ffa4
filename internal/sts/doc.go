// Package sts is jitgate's STS-compatible front door: it answers
// AssumeRoleWithWebIdentity itself, exchanging an OIDC token from a trusted
// issuer for jitgate session credentials, and GetCallerIdentity for a
// session. Neither call ever reaches AWS.
//
// AssumeRoleWithWebIdentity arrives unsigned in the STS query protocol (form
// POST or GET query). The token is verified with go-oidc against the issuer
// named by its (unverified) iss claim, which must be one of Config.Issuers:
// signature from the issuer's JWKS, issuer, audience and expiry. The session
// is sealed by a session.Sealer, so any ingress replica can verify it later.
//
// Before a session is issued, the RoleArn must be on Config.AllowedRoles for
// the principal's groups (default: no role allowed), and the groups claim
// must be a list of strings (a string only with IssuerConfig.GroupsSeparator).
// The session ends no later than the token's exp unless
// Config.SessionBeyondToken is set.
//
// ServeAssumeRoleWithWebIdentity returns an Exchange: what the call came to
// (principal once the token verified, session id and expiry, or the STS
// error), never the token, the session token or the secret, for the
// ingress to record (session.issued or request.refused, and a
// security.refused for a role outside AllowedRoles). This package logs and
// publishes nothing itself.
//
// OIDC discovery is lazy: New does no network I/O, and each issuer's
// discovery document is fetched at its first use and retried at the next
// request if it failed, so the ingress can start before its issuer (as
// `jitgate dev` does with its built-in one). Service.Discover fetches them
// eagerly, for a readiness check.
//
// Answers use the real STS XML shapes, and failures the STS error shape with
// the codes SDKs know: ValidationError, InvalidIdentityToken,
// ExpiredTokenException, IDPCommunicationError, AccessDenied. No response or
// error ever contains the web identity token.
package sts
