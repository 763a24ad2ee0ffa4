package audit

import (
	"context"
	"fmt"
	"time"
)

// Event is one stored event of a request.
type Event struct {
	ID        string
	Type      string
	Time      time.Time // microsecond precision, UTC
	Producer  string
	Topic     string
	Partition int32
	Offset    int64
	Principal string
	Service   string
	Operation string
	Outcome   string
	Rule      string
	Reason    string
	Status    uint16
	Approver  string
	Error     string
	// Body is the masked, capped request or response body, if kept.
	Body string
	// Redacted lists what the recorder removed or masked.
	Redacted []string
	// Payload is the event JSON with secrets removed.
	Payload string
}

// Timeline returns the events of one request in order (by time, then
// event id), each once even if it was stored twice. An unknown request id
// gives no events and no error.
func (c *Client) Timeline(ctx context.Context, requestID string) ([]Event, error) {
	ctx, cancel := c.deadline(ctx)
	defer cancel()
	q := fmt.Sprintf("SELECT event_id, type, ts_us, producer, topic, `partition`, `offset`, principal, service, operation, "+
		"outcome, rule, reason, status, approver, error, body, redacted, payload "+
		"FROM %s.events FINAL WHERE request_id = ? ORDER BY ts_us, event_id", c.db)
	rows, err := c.conn.Query(ctx, q, requestID)
	if err != nil {
		return nil, fmt.Errorf("audit: timeline of %s: %w", requestID, err)
	}
	defer rows.Close()
	var out []Event
	for rows.Next() {
		var e Event
		var us uint64
		if err := rows.Scan(&e.ID, &e.Type, &us, &e.Producer, &e.Topic, &e.Partition, &e.Offset, &e.Principal,
			&e.Service, &e.Operation, &e.Outcome, &e.Rule, &e.Reason, &e.Status, &e.Approver, &e.Error,
			&e.Body, &e.Redacted, &e.Payload); err != nil {
			return nil, fmt.Errorf("audit: timeline of %s: %w", requestID, err)
		}
		e.Time = time.UnixMicro(int64(us)).UTC()
		out = append(out, e)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("audit: timeline of %s: %w", requestID, err)
	}
	return out, nil
}
