// Package executor is the stage that runs allowed AWS calls.
//
// Input: topic schemas.TopicDecisions, event decision.made
// (schemas.DecisionMade, which embeds the agent's request.received). Deny
// and hold decisions produce nothing. Kafka is a network others may write
// to, so an allow runs only when (admit.go):
//   - its whole envelope verifies under the decision key shared with
//     deciders and names a "decider/" producer (schemas.Verify), and its
//     RequestID is the envelope's: else it is forged;
//   - the request's deadline has not passed: else it is late or replayed
//     (a request that never ran gets an execution.finished error, so it
//     keeps one terminal outcome);
//   - its deadline lies within Config.MaxWait (plus a minute) of now;
//   - its request id never started before, on this replica or any other
//     (executed.go): else it is a replay.
//
// Each refusal that may be an attack is logged once ("security: ...") and
// written as security.refused (kind forged_event or replayed_event) to
// schemas.TopicSecurity, in the same transaction as the decision's offset.
// Started request ids are remembered until their deadline (plus a margin);
// at start Run rebuilds them from the execution.started events written in
// the last max(MaxWait, Timeout + RecoverMargin) plus a minute, and keeps
// following them, so a replay is
// refused across restarts and replicas. Decisions are keyed by request id,
// so one replica owns a request id's partition at a time.
//
// Output: topic schemas.TopicExecutions, keyed by request id:
//   - execution.started (schemas.ExecutionStarted), before the call;
//   - execution.finished (schemas.ExecutionFinished), with the upstream's
//     raw, unmasked status, headers and body, or Error when no HTTP answer
//     came back;
//   - response.body_chunk (schemas.ResponseBodyChunk) × BodyChunks (or up
//     to the one marked Last, when the length is unknown), after
//     execution.finished, when the body is larger than Config.MaxInlineBody;
//     a body that broke off ends in a chunk carrying Error.
//
// The raw response never leaves the executions topic except through the
// masker; the gateway's AWS credentials never leave this process.
//
// Re-signing (internal/resign): the destination is the executor's own
// endpoint table entry for the request's service and region (https, an
// allow-listed AWS DNS suffix) or the configured Upstream emulator — never a
// host the agent sent. The agent's signature material, hop-by-hop, Expect,
// X-Forwarded-* and aws-chunked framing headers are dropped; exactly the
// headers the agent signed are signed again with the gateway's credentials
// (aws-sdk-go-v2's v4 signer), and the rest are added back unsigned.
//
// Credentials, in order of precedence: the decision's Role (assumed with
// STS, cached per role until expiry); else, when Config.AssumeSessionRole is
// set, the role the agent named when it assumed its jitgate session
// (Request.Role); else Deps.Credentials. Every role is checked against
// Config.AllowedRoles first: a role outside it fails the call before any STS
// request (the ingress checks the session's role too; the executor does not
// rely on that).
//
// Delivery: execution.started is published in the same Kafka transaction
// that commits the decision's offset; the AWS call runs only after that
// transaction committed (bus.Result.After), in the background, so a slow
// call never holds up the calls behind it (at most Config.Parallel run at
// once). execution.finished plus its chunks are then published by an
// idempotent producer outside any transaction: the call already happened,
// so a transaction would add nothing but its cost. A decision is
// therefore never called twice, and a request id is called at most once.
// If the process dies after execution.started
// committed and before execution.finished did, the call may or may not have
// reached AWS. Recovery (recover.go) ends such a call once: the replica
// owning the request's decisions partition (bus.Owned), once the call's
// executor is gone (an earlier process with its own Instance, or Timeout +
// RecoverMargin after the start; never a call this process runs), writes
// execution.finished with ErrorKind schemas.ErrorOutcomeUnknown, or, for a
// read-only call whose agent still waits, runs it once more (attempt 2,
// from its decision record, verified again).
//
// Bodies: request bodies travel inline or as request.body_chunk events
// streamed from the bodies topic, from the record the sealed request names
// and only chunks whose SHA-256 it lists (bus.OpenRequestBody). Responses
// up to MaxInlineBody travel inside execution.finished; larger ones stream
// as chunk events while the upstream sends them (stream.go), through one
// chunk buffer, on the executor's own producer; bodies the masker must
// read whole are capped at Config.MaxResponseBody. Event-stream frames go
// out as they arrive.
package executor
