// Package holds is jitgate's just-in-time approval state machine: pending
// holds, justifications, approvals, denials, expiry, and the time-boxed
// grants approvals open. It is pure: events in, state and checks out; no
// Kafka, no HTTP.
//
// Both the decider and the ingress keep one [Store] each, fed by their tails
// of the holds and grants topics through [Store.Apply]. The state is rebuilt
// only from those events, and every event is judged at its own time in log
// order, so every replica and every replay after a restart agree.
//
//   - The ingress asks [Store.CheckApprove], [Store.CheckDeny],
//     [Store.CheckJustify] and [Store.CheckRevoke] before publishing an
//     approver's or requester's event, so a bad request is refused early
//     with an [*Error] that says what to do. Apply enforces the same rules
//     again, so an event that slipped through (a race between replicas, a
//     stale store) does not count.
//   - The decider, for each approval.given, waits until [Store.Seen] says
//     its store applied the event, then asks [Store.Crossing]: exactly one
//     approval per hold crosses the threshold, so exactly one decider emits
//     hold.approved and, with [NewGrant], grant.opened. It lists
//     [Store.Expired] holds to emit hold.expired, and asks [Store.MatchGrant]
//     before evaluating the rules for a new request.
//
// Kafka is a network others may write to: a [Store] folds only events
// whose envelope verifies under the holds key and whose producer is of the
// role entitled to write the type (schemas.Verify; the decider writes
// hold.opened, hold.approved, hold.expired and grant.opened, the ingress
// approval.given, hold.denied, hold.justified and grant.revoked). Anything
// else is refused by [Store.Apply] with a [*ForgedError], changes nothing
// and is not [Store.Seen]; the caller records it as a security event.
//
// Rules a hold enforces: only members of the rule's approver groups may
// approve or deny; nobody approves or denies a request they made (same
// OIDC subject and issuer); N approvals need N distinct people; a hold
// that is denied, expired or approved takes no further decisions; an
// approval may shorten the rule's grant, never lengthen it; a rule may
// require the requester's justification before anyone approves (denying
// needs none); only the requester may justify, only while pending. A
// pending hold is expired once now >= Terms.Expires, before hold.expired
// arrives.
//
// Grant scopes (call, operation, expr) are defined on [Store.MatchGrant]
// and in pin.go.
package holds
