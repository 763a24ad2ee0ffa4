package row

import "time"

// Column is one column of the events table as the recorder writes it.
type Column struct {
	Name string
	Type string // ClickHouse type, valid on 18.16 and on current servers
}

// Columns lists the columns a Row fills, in the order of [Row.Values].
// The events table may have more (recorded_at has a default).
func Columns() []Column {
	return []Column{
		{"event_id", "String"},
		{"type", "String"},
		{"version", "UInt16"},
		{"request_id", "String"},
		{"ts", "DateTime('UTC')"},
		{"ts_us", "UInt64"},
		{"producer", "String"},
		{"topic", "String"},
		{"partition", "Int32"},
		{"offset", "Int64"},
		{"principal", "String"},
		{"groups", "Array(String)"},
		{"session_id", "String"},
		{"role", "String"},
		{"source", "String"},
		{"service", "String"},
		{"operation", "String"},
		{"region", "String"},
		{"read_only", "UInt8"},
		{"outcome", "String"},
		{"rule", "String"},
		{"reason", "String"},
		{"status", "UInt16"},
		{"approver", "String"},
		{"approvers", "Array(String)"},
		{"grant_id", "String"},
		{"error", "String"},
		{"duration_ms", "Int64"},
		{"body", "String"},
		{"body_size", "UInt64"},
		{"redacted", "Array(String)"},
		{"payload", "String"},
	}
}

// Row is one event as stored. Empty strings and zeros mean "not applicable
// to this event type".
type Row struct {
	EventID   string
	Type      string
	Version   uint16
	RequestID string
	TS        time.Time // second precision in ClickHouse; TSMicros has the rest
	TSMicros  uint64
	Producer  string
	Topic     string
	Partition int32
	Offset    int64

	Principal string // the agent (or the justifying principal for hold.justified)
	Groups    []string
	SessionID string
	Role      string
	Source    string
	Service   string
	Operation string
	Region    string
	ReadOnly  uint8

	Outcome    string // decision outcome, hold state or response outcome
	Rule       string
	Reason     string
	Status     uint16 // HTTP status of the upstream or gateway answer
	Approver   string // the human who approved, denied or revoked
	Approvers  []string
	GrantID    string
	Error      string
	DurationMS int64

	// Body is the masked request body (request.received) or response body
	// (response.ready), at most the configured cap.
	Body     []byte
	BodySize uint64 // the body's full size as the event declared it
	// Redacted lists what was removed or masked, for example
	// "http.headers.authorization" or "response.body: raw, not recorded".
	Redacted []string
	// Payload is the envelope JSON with the secrets above removed, or for an
	// undecodable record its scrubbed raw value.
	Payload string
}

// Values returns the row's values in the order of [Columns], typed as the
// ClickHouse driver expects them.
func (r *Row) Values() []any {
	return []any{
		r.EventID, r.Type, r.Version, r.RequestID, r.TS, r.TSMicros, r.Producer, r.Topic, r.Partition, r.Offset,
		r.Principal, nonNil(r.Groups), r.SessionID, r.Role, r.Source, r.Service, r.Operation, r.Region, r.ReadOnly,
		r.Outcome, r.Rule, r.Reason, r.Status, r.Approver, nonNil(r.Approvers), r.GrantID, r.Error, r.DurationMS,
		string(r.Body), r.BodySize, nonNil(r.Redacted), r.Payload,
	}
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// note records that something was removed or masked.
func (r *Row) note(what string) { r.Redacted = append(r.Redacted, what) }

// setTime fills TS and TSMicros, clamped to what DateTime holds.
func (r *Row) setTime(t time.Time) {
	if t.Before(time.Unix(0, 0)) {
		t = time.Unix(0, 0)
	}
	r.TS = t.UTC().Truncate(time.Second)
	r.TSMicros = uint64(t.UnixMicro())
}
