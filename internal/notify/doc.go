// Package notify tells approvers about holds by webhook: when a hold opens,
// when the requester justifies it, when an approver approves, and when it is
// resolved (approved, denied, expired).
//
// Message turns an event of the holds topic into a Notification; a Notifier
// delivers it with Send. Message is pure: the caller that consumes the
// topic keeps each request's hold.opened to enrich the later events.
//
// # Wire format
//
// Each delivery is an HTTP POST to Config.URL with these headers:
//
//	Content-Type:        application/json
//	X-Jitgate-Event:     hold.opened | hold.justified | approval.given | hold.approved | hold.denied | hold.expired
//	X-Jitgate-Delivery:  the notification id (the event id): the same on every retry; dedupe on it
//	X-Jitgate-Timestamp: unix seconds of this attempt
//	X-Jitgate-Signature: sha256=<hex HMAC-SHA256(secret, "<timestamp>.<body>")>
//
// With FormatJSON the body is the Notification's JSON encoding (snake_case
// fields, RFC 3339 times, empty fields omitted), for example:
//
//	{"id":"…","event":"hold.opened","request_id":"…","time":"2026-05-01T10:00:00Z",
//	 "agent":"system:serviceaccount:ci:deployer","call":"s3:DeleteBucket","region":"eu-west-1",
//	 "params":["Bucket"],"resources":{"Bucket":"prod-logs"},
//	 "rule":"prod-destructive","reason":"deleting buckets needs a human",
//	 "approvers":["sre"],"approvals":1,"expires":"2026-05-01T10:15:00Z",
//	 "summary":"Approval needed: …","approve_command":"jitgate approve …","deny_command":"jitgate deny …"}
//
// With FormatSlack the body is a Slack incoming-webhook message,
// {"text": summary, "blocks": [...]}, with the same headers.
//
// # Verifying
//
// Receivers recompute the HMAC over the timestamp header, a ".", and the raw
// body, compare in constant time (Verify), reject timestamps more than a
// few minutes from now (CheckTimestamp), and dedupe on X-Jitgate-Delivery.
// The timestamp is signed so that a captured delivery cannot be replayed
// later with a fresh one.
//
// # What is never sent
//
// Notifications carry no parameter values except those naming a resource
// (bucket, table, function, queue, role, instance ids, ...): every other
// parameter appears by name only, because values can hold secrets and
// personal data. Request bodies, headers and credentials are never sent.
// Free text (reasons, justifications) is sent as written, bounded in length;
// the Slack format escapes it so it cannot mention or link.
//
// # Delivery
//
// Send retries network errors, 429 and 5xx up to Config.MaxAttempts with
// exponential backoff and jitter (500ms doubling, capped at 30s), waiting at
// least what a Retry-After asks (up to 5 minutes). Other 4xx and 3xx answers
// are final. The context bounds the whole delivery. Delivery is at least
// once: receivers dedupe on X-Jitgate-Delivery.
package notify
