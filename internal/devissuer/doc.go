// Package devissuer is a tiny OIDC issuer for `jitgate dev` and for tests.
// It is not for production: it mints any token its caller asks for.
//
// An Issuer serves OIDC discovery (/.well-known/openid-configuration) and its
// JSON Web Key Set (/jwks) relative to wherever it is mounted, so the caller
// can mount it under a prefix with http.StripPrefix, and it signs RS256 JWTs
// with one RSA-2048 key. The key is generated at New, or kept in a PEM file
// (WithKeyFile) so tokens survive a restart of `jitgate dev`.
package devissuer
