package audit

import (
	"context"
	"fmt"
	"time"
)

// Unknown-outcome states, as UnknownRequest.State reports them.
const (
	// StateOutcomeUnknown: an executor recovered the call after a crash and
	// ended it as outcome-unknown; nobody knows whether AWS ran it.
	StateOutcomeUnknown = "outcome_unknown"
	// StateUnknownThenFinished: ended as outcome-unknown, and later the
	// executor that ran it (alive after all, out of its group) recorded
	// AWS's answer; the timeline has it.
	StateUnknownThenFinished = "unknown_then_finished"
	// StateUnresolved: started, never finished, and no executor ended it
	// (no executor ran within the recovery window after the crash).
	StateUnresolved = "unresolved"
)

// DefaultUnresolvedAfter is how long a started call may go without an
// execution.finished before Unknown lists it as unresolved.
const DefaultUnresolvedAfter = 10 * time.Minute

// UnknownFilter selects requests for Unknown.
type UnknownFilter struct {
	// Since keeps calls started at or after this time (zero: all).
	Since time.Time
	// UnresolvedAfter is how old a start with no execution.finished must
	// be to be listed (0: DefaultUnresolvedAfter); calls younger than that
	// may still be running.
	UnresolvedAfter time.Duration
	// Now is the reference time for UnresolvedAfter (zero: time.Now()).
	Now time.Time
	// Limit bounds the result (0: DefaultLimit).
	Limit int
}

// UnknownRequest is a call nobody knows the outcome of.
type UnknownRequest struct {
	RequestID string
	Received  time.Time // first event of the request
	Started   time.Time // last execution.started
	Principal string
	Service   string
	Operation string
	ReadOnly  bool
	Attempts  uint64 // execution.started events (2: a read-only call was retried)
	State     string // StateOutcomeUnknown, StateUnknownThenFinished, StateUnresolved
}

// Unknown lists the requests whose outcome is unknown, newest first: those
// an executor ended as outcome-unknown after a crash (execution.finished
// with error_kind outcome_unknown), and those started longer than
// UnresolvedAfter ago that never finished at all.
func (c *Client) Unknown(ctx context.Context, f UnknownFilter) ([]UnknownRequest, error) {
	ctx, cancel := c.deadline(ctx)
	defer cancel()
	q, args := unknownQuery(c.db, f)
	rows, err := c.conn.Query(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("audit: unknown outcomes: %w", err)
	}
	defer rows.Close()
	var out []UnknownRequest
	for rows.Next() {
		var u UnknownRequest
		var first, started, unknownAt, known uint64
		var readOnly uint8
		if err := rows.Scan(&u.RequestID, &first, &u.Principal, &u.Service, &u.Operation, &readOnly,
			&u.Attempts, &started, &unknownAt, &known); err != nil {
			return nil, fmt.Errorf("audit: unknown outcomes: %w", err)
		}
		u.Received = time.UnixMicro(int64(first)).UTC()
		u.Started = time.UnixMicro(int64(started)).UTC()
		u.ReadOnly = readOnly != 0
		switch {
		case unknownAt == 0:
			u.State = StateUnresolved
		case known > 0:
			u.State = StateUnknownThenFinished
		default:
			u.State = StateOutcomeUnknown
		}
		out = append(out, u)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("audit: unknown outcomes: %w", err)
	}
	return out, nil
}

// unknownQuery builds Unknown's SQL, within what ClickHouse 18.16 accepts
// (no CTEs, window functions or JSONExtract): the outcome-unknown marker is
// read from the stored envelope with visitParamExtractString. Aliases
// differ from column names (see recentQuery).
func unknownQuery(db string, f UnknownFilter) (string, []any) {
	since := uint64(0)
	if !f.Since.IsZero() {
		since = uint64(max(f.Since.UnixMicro(), 0))
	}
	after := f.UnresolvedAfter
	if after <= 0 {
		after = DefaultUnresolvedAfter
	}
	now := f.Now
	if now.IsZero() {
		now = time.Now()
	}
	limit := f.Limit
	if limit <= 0 {
		limit = DefaultLimit
	}
	q := fmt.Sprintf(`SELECT request_id,
    min(ts_us) AS r_first,
    anyIf(principal, type IN ('request.received', 'decision.made') AND principal != '') AS r_principal,
    anyIf(service, type IN ('request.received', 'decision.made', 'execution.finished') AND service != '') AS r_service,
    anyIf(operation, type IN ('request.received', 'decision.made', 'execution.finished') AND operation != '') AS r_operation,
    maxIf(read_only, type = 'execution.started') AS r_read_only,
    countIf(type = 'execution.started') AS r_attempts,
    maxIf(ts_us, type = 'execution.started') AS r_started,
    maxIf(ts_us, type = 'execution.finished' AND visitParamExtractString(payload, 'error_kind') = 'outcome_unknown') AS r_unknown,
    countIf(type = 'execution.finished' AND visitParamExtractString(payload, 'error_kind') != 'outcome_unknown') AS r_known
FROM %[1]s.events FINAL
WHERE request_id IN (SELECT request_id FROM %[1]s.events WHERE type = 'execution.started' AND ts_us >= ?)
GROUP BY request_id
HAVING r_unknown > 0 OR (r_known = 0 AND r_started < ?)
ORDER BY r_first DESC, request_id
LIMIT %[2]d`, db, limit)
	return q, []any{since, uint64(max(now.Add(-after).UnixMicro(), 0))}
}
