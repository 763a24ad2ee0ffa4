package main

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2"

	"github.com/jitgate/jitgate/internal/testenv"
	"github.com/jitgate/jitgate/recorder"
)

// TestAuditUnknownCommand: `jitgate audit unknown` against ClickHouse 18.16
// with the recorder's schema prints, for an operator, each request whose
// outcome is unknown with its id, principal, call and time.
func TestAuditUnknownCommand(t *testing.T) {
	addr := testenv.ClickHouse(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	conn, err := clickhouse.Open(&clickhouse.Options{Addr: []string{addr}})
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if err := recorder.Migrate(ctx, conn, "jitgate"); err != nil {
		t.Fatal(err)
	}
	at := time.Now().Add(-time.Hour).UTC().Truncate(time.Second)
	rows := []struct{ id, typ, principal, payload string }{
		{"req-u/received", "request.received", "agent-9", `{"payload":{}}`},
		{"req-u/started", "execution.started", "", `{"payload":{"attempt":1}}`},
		{"req-u/unknown", "execution.finished", "", `{"payload":{"error_kind":"outcome_unknown"}}`},
		{"req-ok/started", "execution.started", "", `{"payload":{"attempt":1}}`},
		{"req-ok/finished", "execution.finished", "", `{"payload":{"response":{"status":200}}}`},
	}
	for i, r := range rows {
		id := strings.SplitN(r.id, "/", 2)[0]
		ts := at.Add(time.Duration(i) * time.Second)
		q := fmt.Sprintf(`INSERT INTO jitgate.events (event_id, type, request_id, ts, ts_us, principal, service, operation, payload)
SELECT '%s', '%s', '%s', toDateTime(%d, 'UTC'), toUInt64(%d), '%s', 'dynamodb', 'PutItem', '%s'`,
			r.id, r.typ, id, ts.Unix(), ts.UnixMicro(), r.principal, r.payload)
		if err := conn.Exec(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	out, err := runApp(t, "audit", "--clickhouse", addr, "unknown")
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 2 || !strings.HasPrefix(lines[0], "RECEIVED") {
		t.Fatalf("output:\n%s\nwant a header and one request", out)
	}
	for _, want := range []string{at.Format(time.RFC3339), "req-u", "agent-9", "dynamodb.PutItem", "outcome_unknown"} {
		if !strings.Contains(lines[1], want) {
			t.Errorf("row %q lacks %q", lines[1], want)
		}
	}
}
