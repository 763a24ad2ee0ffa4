// Package decider judges every agent call against the policy.
//
// Input topic: requests (request.received; body chunks are ignored, the
// decider never needs a body). Output topics: decisions (decision.made,
// its whole envelope sealed with the decision key so executors can tell a
// decider wrote it, for this request), responses (response.ready with
// AccessDenied for denials), holds (hold.opened for calls that need a
// human), policy (policy.loaded whenever a policy version comes into
// force). The decider writes as producer "decider/" + Instance.
//
// Holds: the decider follows the holds and grants topics (internal/holds)
// and writes hold.approved, hold.expired and grant.opened, sealed with the
// holds key it shares with the ingresses. Its view folds only events that
// verify under that key as written by their entitled role; a forged event
// is logged ("security: ...") and recorded as security.refused (kind
// forged_event) on the security topic, and never approves, opens or
// revokes anything. A hold nobody decided in time gets its hold.expired
// from one decider only: the member owning the hold's partition of the
// holds topic, once its view has read that partition to a mark past the
// expiry (expiry.go).
//
// Rules are evaluated in order, first match wins, default deny; a policy
// error at run time denies (fail closed). The policy evaluates only the
// rules its index leaves for the call's service and operation, with the
// same result (docs/policy.md, "Performance"); the rest of a decision's
// cost is decoding, verifying, encoding and sealing events. Rules see the call's effect
// classes (call.effects) from the decider's own operation index
// (Deps.Model), never from the event: the decider overwrites
// RequestReceived.Effects before it matches grants and decides, so
// decisions and holds carry its classification, and it denies an operation
// the index does not know. A call that would be allowed but
// is decided after its agent stopped waiting (RequestReceived.Deadline) is
// denied instead: the ingress has told the agent it was not run. The
// policy file is compiled at start (a bad file stops the decider with the
// rule named) and reloaded on change or SIGHUP; a bad reload keeps the
// policy in force.
//
// Delivery: each request's outputs and its input offset commit in one Kafka
// transaction, so a request gets exactly one decision even when a decider
// dies mid-batch.
package decider
