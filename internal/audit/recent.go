package audit

import (
	"context"
	"fmt"
	"strings"
	"time"
)

// DefaultLimit is how many requests Recent returns when Filter.Limit is 0.
const DefaultLimit = 100

// Filter selects requests for Recent. Empty fields match everything.
type Filter struct {
	Principal string // OIDC subject of the agent
	Service   string // botocore service id, e.g. "s3"
	Operation string
	// Outcome matches the final answer (executed, denied, held, error,
	// unknown; for a call answered at the ingress's door throttled,
	// unavailable, unauthenticated, rejected or error; issued for a
	// credential exchange answered with credentials), the decision
	// (allow, deny, hold) or the hold's end (approved, denied, expired):
	// one of Outcomes (Validate).
	Outcome string
	// Since keeps requests received at or after this time (zero: all).
	Since time.Time
	// Limit bounds the result (0: DefaultLimit).
	Limit int
}

// RequestSummary is one request with its decision and final outcome.
type RequestSummary struct {
	RequestID string
	Received  time.Time // first event, microsecond precision
	LastEvent time.Time
	Principal string
	Service   string
	Operation string
	Region    string
	Decision  string // allow, deny or hold ("" if not decided yet)
	Rule      string
	// Outcome is the response's outcome, or for a call answered at the
	// ingress's door (request.refused) throttled, unavailable,
	// unauthenticated, rejected or error, or issued for a credential
	// exchange answered with credentials (session.issued); "" while the
	// agent still waits.
	Outcome string
	Status  uint16 // HTTP status answered to the agent
	// Hold is how the hold ended: approved, denied or expired ("" if
	// none), by its first ending event in log order, as the holds view
	// decides it (a late expiry does not undo an approval).
	Hold   string
	Events uint64
}

// Recent returns the newest requests matching f, newest first. A credential
// exchange (AssumeRoleWithWebIdentity) is a request of service sts.
func (c *Client) Recent(ctx context.Context, f Filter) ([]RequestSummary, error) {
	if err := f.Validate(); err != nil {
		return nil, err
	}
	ctx, cancel := c.deadline(ctx)
	defer cancel()
	q, args := recentQuery(c.db, f)
	rows, err := c.conn.Query(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("audit: recent requests: %w", err)
	}
	defer rows.Close()
	var out []RequestSummary
	for rows.Next() {
		var s RequestSummary
		var first, last uint64
		if err := rows.Scan(&s.RequestID, &first, &last, &s.Principal, &s.Service, &s.Operation, &s.Region,
			&s.Decision, &s.Rule, &s.Outcome, &s.Status, &s.Hold, &s.Events); err != nil {
			return nil, fmt.Errorf("audit: recent requests: %w", err)
		}
		s.Received = time.UnixMicro(int64(first)).UTC()
		s.LastEvent = time.UnixMicro(int64(last)).UTC()
		out = append(out, s)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("audit: recent requests: %w", err)
	}
	return out, nil
}

// recentQuery builds Recent's SQL. Request ids are picked from the
// request.received, request.refused and session.issued events that match,
// then all their events are aggregated. A refused call's outcome is its
// refusal's (an exchange's, issued), unless
// the request also has a response.ready (a refusal that raced a publish
// the broker took after all): the pipeline's answer wins. A hold ends as
// the holds view ends it, by its first ending event in log order (see the
// recorder's migration 5, whose requests view aggregates alike): approved
// when a hold.approved exists, else the first hold.denied or hold.expired
// by holds-topic offset. Aliases differ from column names: newer servers would
// otherwise substitute an aggregate into itself.
func recentQuery(db string, f Filter) (string, []any) {
	var where []string
	var args []any
	where = append(where, "type IN ('request.received', 'request.refused', 'session.issued')")
	if !f.Since.IsZero() {
		where = append(where, "ts_us >= ?")
		args = append(args, uint64(max(f.Since.UnixMicro(), 0)))
	}
	for _, c := range []struct{ col, v string }{{"principal", f.Principal}, {"service", f.Service}, {"operation", f.Operation}} {
		if c.v != "" {
			where = append(where, c.col+" = ?")
			args = append(args, c.v)
		}
	}
	having := ""
	if f.Outcome != "" {
		having = "HAVING r_outcome = ? OR r_decision = ? OR r_hold = ?"
		args = append(args, f.Outcome, f.Outcome, f.Outcome)
	}
	limit := f.Limit
	if limit <= 0 {
		limit = DefaultLimit
	}
	q := fmt.Sprintf(`SELECT request_id,
    min(ts_us) AS r_first,
    max(ts_us) AS r_last,
    anyIf(principal, type IN ('request.received', 'request.refused', 'session.issued')) AS r_principal,
    anyIf(service, type IN ('request.received', 'request.refused', 'session.issued')) AS r_service,
    anyIf(operation, type IN ('request.received', 'request.refused', 'session.issued')) AS r_operation,
    anyIf(region, type IN ('request.received', 'request.refused', 'session.issued')) AS r_region,
    argMaxIf(outcome, ts_us, type = 'decision.made') AS r_decision,
    argMaxIf(rule, ts_us, type = 'decision.made') AS r_rule,
    if(countIf(type = 'response.ready') > 0, argMaxIf(outcome, ts_us, type = 'response.ready'), anyIf(outcome, type IN ('request.refused', 'session.issued'))) AS r_outcome,
    if(countIf(type = 'response.ready') > 0, argMaxIf(status, ts_us, type = 'response.ready'), anyIf(status, type IN ('request.refused', 'session.issued'))) AS r_status,
    if(countIf(type = 'hold.approved') > 0, 'approved', argMinIf(outcome, offset, type IN ('hold.denied', 'hold.expired'))) AS r_hold,
    count() AS r_events
FROM %[1]s.events FINAL
WHERE request_id IN (SELECT request_id FROM %[1]s.events WHERE %[2]s)
GROUP BY request_id
%[3]s
ORDER BY r_first DESC, request_id
LIMIT %[4]d`, db, strings.Join(where, " AND "), having, limit)
	return q, args
}
