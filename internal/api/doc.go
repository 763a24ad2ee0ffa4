// Package api is the ingress's small JSON API for approvers and agents
// (pending holds, approve, deny, justify, grants, revoke): its wire types,
// shared by the ingress's handlers and the CLI, and the CLI's client.
//
// Every call carries an OIDC bearer token from an issuer the gateway trusts.
// Errors come back as {"error":{"code":..., "message":...}} with a status
// that says what kind of refusal it is.
package api

// Prefix starts every API route on the ingress. The underscore keeps it
// apart from S3 path-style requests: bucket names cannot contain one.
const Prefix = "/_jitgate/v1"
