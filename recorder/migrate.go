package recorder

import (
	"context"
	"fmt"
	"strings"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
)

// serverVersion is a ClickHouse release as major.minor.
type serverVersion struct{ Major, Minor uint64 }

func (v serverVersion) atLeast(o serverVersion) bool {
	return v.Major > o.Major || v.Major == o.Major && v.Minor >= o.Minor
}

func (v serverVersion) String() string { return fmt.Sprintf("%d.%d", v.Major, v.Minor) }

// migration is one schema step. Statements use {db} for the database and
// must be safe to run again after a crash between them (IF NOT EXISTS,
// MODIFY rather than ADD).
type migration struct {
	Version int
	Name    string
	// MinServer gates steps that only newer servers accept; zero = every
	// server (18.16 included).
	MinServer serverVersion
	SQL       []string
}

// requestsView is the current definition of the requests view: one row per
// request id, aggregated from its events. Every migration that changes the
// view recreates it from this one text; a view holds no data, so an older
// step that runs it again (a database created before the change) ends with
// the same view, and dropping and creating it is safe to repeat.
const requestsView = `
CREATE VIEW IF NOT EXISTS {db}.requests AS
SELECT
    request_id,
    r_started AS started,
    r_started_us AS started_us,
    r_last AS last_event,
    r_principal AS principal,
    r_groups AS groups,
    r_service AS service,
    r_operation AS operation,
    r_region AS region,
    r_decision AS decision,
    r_rule AS rule,
    r_reason AS reason,
    r_outcome AS outcome,
    r_status AS status,
    r_hold AS hold,
    r_events AS events
FROM (
    SELECT
        request_id,
        min(ts) AS r_started,
        min(ts_us) AS r_started_us,
        max(ts) AS r_last,
        anyIf(principal, type IN ('request.received', 'request.refused', 'session.issued')) AS r_principal,
        anyIf(groups, type IN ('request.received', 'request.refused', 'session.issued')) AS r_groups,
        anyIf(service, type IN ('request.received', 'request.refused', 'session.issued')) AS r_service,
        anyIf(operation, type IN ('request.received', 'request.refused', 'session.issued')) AS r_operation,
        anyIf(region, type IN ('request.received', 'request.refused', 'session.issued')) AS r_region,
        argMaxIf(outcome, ts_us, type = 'decision.made') AS r_decision,
        argMaxIf(rule, ts_us, type = 'decision.made') AS r_rule,
        argMaxIf(reason, ts_us, type = 'decision.made') AS r_reason,
        if(countIf(type = 'response.ready') > 0, argMaxIf(outcome, ts_us, type = 'response.ready'), anyIf(outcome, type IN ('request.refused', 'session.issued'))) AS r_outcome,
        if(countIf(type = 'response.ready') > 0, argMaxIf(status, ts_us, type = 'response.ready'), anyIf(status, type IN ('request.refused', 'session.issued'))) AS r_status,
        if(countIf(type = 'hold.approved') > 0, 'approved', argMinIf(outcome, offset, type IN ('hold.denied', 'hold.expired'))) AS r_hold,
        count() AS r_events
    FROM {db}.events FINAL
    WHERE request_id != ''
    GROUP BY request_id
)`

const dropRequestsView = `DROP TABLE IF EXISTS {db}.requests`

// migrations is the schema history; append only. The base schema (1-2) is
// valid on ClickHouse 18.16 and on current releases.
var migrations = []migration{
	{Version: 1, Name: "events table", SQL: []string{`
CREATE TABLE IF NOT EXISTS {db}.events (
    event_id    String,
    type        String,
    version     UInt16,
    request_id  String,
    ts          DateTime('UTC'),
    ts_us       UInt64,
    producer    String,
    topic       String,
    partition   Int32,
    offset      Int64,
    principal   String,
    groups      Array(String),
    session_id  String,
    role        String,
    source      String,
    service     String,
    operation   String,
    region      String,
    read_only   UInt8,
    outcome     String,
    rule        String,
    reason      String,
    status      UInt16,
    approver    String,
    approvers   Array(String),
    grant_id    String,
    error       String,
    duration_ms Int64,
    body        String,
    body_size   UInt64,
    redacted    Array(String),
    payload     String,
    recorded_at DateTime('UTC') DEFAULT now()
) ENGINE = ReplacingMergeTree
PARTITION BY toYYYYMM(ts)
ORDER BY (request_id, ts_us, event_id)`}},
	// The inner aliases differ from the column names: ClickHouse would
	// otherwise substitute an aggregate into another one.
	{Version: 2, Name: "requests view", SQL: []string{`
CREATE VIEW IF NOT EXISTS {db}.requests AS
SELECT
    request_id,
    r_started AS started,
    r_started_us AS started_us,
    r_last AS last_event,
    r_principal AS principal,
    r_groups AS groups,
    r_service AS service,
    r_operation AS operation,
    r_region AS region,
    r_decision AS decision,
    r_rule AS rule,
    r_reason AS reason,
    r_outcome AS outcome,
    r_status AS status,
    r_hold AS hold,
    r_events AS events
FROM (
    SELECT
        request_id,
        min(ts) AS r_started,
        min(ts_us) AS r_started_us,
        max(ts) AS r_last,
        anyIf(principal, type = 'request.received') AS r_principal,
        anyIf(groups, type = 'request.received') AS r_groups,
        anyIf(service, type = 'request.received') AS r_service,
        anyIf(operation, type = 'request.received') AS r_operation,
        anyIf(region, type = 'request.received') AS r_region,
        argMaxIf(outcome, ts_us, type = 'decision.made') AS r_decision,
        argMaxIf(rule, ts_us, type = 'decision.made') AS r_rule,
        argMaxIf(reason, ts_us, type = 'decision.made') AS r_reason,
        argMaxIf(outcome, ts_us, type = 'response.ready') AS r_outcome,
        argMaxIf(status, ts_us, type = 'response.ready') AS r_status,
        argMaxIf(outcome, ts_us, type IN ('hold.approved', 'hold.denied', 'hold.expired')) AS r_hold,
        count() AS r_events
    FROM {db}.events FINAL
    WHERE request_id != ''
    GROUP BY request_id
)`}},
	{Version: 3, Name: "zstd for payload and body", MinServer: serverVersion{20, 1}, SQL: []string{`
ALTER TABLE {db}.events
    MODIFY COLUMN payload String CODEC(ZSTD(3)),
    MODIFY COLUMN body String CODEC(ZSTD(3))`}},
	// A call refused at the ingress's door (request.refused) is a request
	// too: its principal, call and outcome (throttled, unavailable) come
	// from the refusal, unless a response.ready exists (a refusal that
	// raced a publish the broker took after all: the pipeline's answer
	// wins).
	{Version: 4, Name: "requests view with refusals at the door", SQL: []string{dropRequestsView, requestsView}},
	// A hold ends as the holds view ends it (internal/holds): by its first
	// ending event in log order, not by the latest by time. A hold.approved
	// decides whenever there is one: the decider writes it only for the
	// approval that completed the hold while it was pending in log order,
	// so no denial or expiry came first. Otherwise the first hold.denied or
	// hold.expired by its offset on the holds topic decides (every event of
	// a hold is keyed by its request id, so they share one partition). An
	// expiry a lagging replica wrote after the approval no longer shows a
	// run call as expired.
	{Version: 5, Name: "requests view: a hold ends by its first ending event in log order", SQL: []string{dropRequestsView, requestsView}},
	// A credential exchange (AssumeRoleWithWebIdentity) is a request too:
	// answered with credentials its outcome is issued (session.issued),
	// refused it is a request.refused like any answer at the door.
	{Version: 6, Name: "requests view with credential exchanges", SQL: []string{dropRequestsView, requestsView}},
}

// Migrate creates database and brings its schema up to date: the events
// table, the requests view, and the migrations this server's version
// accepts, recording each applied step in database.schema_migrations. It is
// idempotent and safe to run from several recorders at once. An empty
// database means "jitgate". Callers should give ctx a deadline.
func Migrate(ctx context.Context, conn driver.Conn, database string) error {
	if database == "" {
		database = "jitgate"
	}
	if !identRE.MatchString(database) {
		return fmt.Errorf("%w: database name %q", ErrConfig, database)
	}
	sv, err := conn.ServerVersion()
	if err != nil {
		return fmt.Errorf("%w: server version: %w", ErrUnavailable, err)
	}
	server := serverVersion{sv.Version.Major, sv.Version.Minor}
	for _, q := range []string{
		"CREATE DATABASE IF NOT EXISTS " + database,
		"CREATE TABLE IF NOT EXISTS " + database + `.schema_migrations (
    version    UInt32,
    name       String,
    applied_at DateTime('UTC') DEFAULT now()
) ENGINE = ReplacingMergeTree ORDER BY version`,
	} {
		if err := conn.Exec(ctx, q); err != nil {
			return &MigrationError{Version: 0, Name: "schema_migrations table", Err: err}
		}
	}
	done, err := appliedMigrations(ctx, conn, database)
	if err != nil {
		return &MigrationError{Version: 0, Name: "read schema_migrations", Err: err}
	}
	for _, m := range pending(migrations, done, server) {
		for _, q := range m.SQL {
			if err := conn.Exec(ctx, strings.ReplaceAll(q, "{db}", database)); err != nil {
				return &MigrationError{Version: m.Version, Name: m.Name, Err: err}
			}
		}
		// INSERT ... SELECT carries no data block, which 18.16 handles; an
		// INSERT ... VALUES through Exec would hang there.
		rec := fmt.Sprintf("INSERT INTO %s.schema_migrations (version, name) SELECT toUInt32(?), ?", database)
		if err := conn.Exec(ctx, rec, m.Version, m.Name); err != nil {
			return &MigrationError{Version: m.Version, Name: m.Name, Err: fmt.Errorf("record: %w", err)}
		}
	}
	return nil
}

// pending returns the migrations not yet applied that server accepts, in
// order.
func pending(all []migration, done map[int]bool, server serverVersion) []migration {
	var out []migration
	for _, m := range all {
		if !done[m.Version] && server.atLeast(m.MinServer) {
			out = append(out, m)
		}
	}
	return out
}

func appliedMigrations(ctx context.Context, conn driver.Conn, database string) (map[int]bool, error) {
	rows, err := conn.Query(ctx, "SELECT version FROM "+database+".schema_migrations FINAL")
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	done := map[int]bool{}
	for rows.Next() {
		var v uint32
		if err := rows.Scan(&v); err != nil {
			return nil, err
		}
		done[int(v)] = true
	}
	return done, rows.Err()
}
