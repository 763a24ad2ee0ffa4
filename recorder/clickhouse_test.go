package recorder

import (
	"encoding/base64"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jitgate/jitgate/internal/audit"
	"github.com/jitgate/jitgate/internal/bus"
	"github.com/jitgate/jitgate/internal/testenv"
	"github.com/jitgate/jitgate/schemas"
)

// newTestRecorder returns a recorder on a throwaway ClickHouse, with the
// auditors' client on the same database.
func newTestRecorder(t *testing.T, bodyCap int) (*Recorder, *audit.Client) {
	t.Helper()
	addr := testenv.ClickHouse(t)
	r, err := New(Config{Bus: bus.Config{Brokers: []string{"127.0.0.1:1"}}, ClickHouse: addr, BodyCap: bodyCap, Timeout: 20 * time.Second}, Deps{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.conn.Close() })
	ctx := t.Context()
	if err := r.ensureSchema(ctx); err != nil {
		t.Fatal(err)
	}
	ac, err := audit.Open(ctx, addr, "jitgate", "", "")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ac.Close() })
	return r, ac
}

// queryOne runs a query expected to return one row.
func queryOne(t *testing.T, ac *audit.Client, sql string) []string {
	t.Helper()
	_, rows, err := ac.Query(t.Context(), sql)
	if err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
	if len(rows) != 1 {
		t.Fatalf("%s: %d rows, want 1", sql, len(rows))
	}
	return rows[0]
}

// assertNoSecrets reads every stored cell and fails on any planted secret,
// in clear or inside base64 (how JSON carries []byte bodies).
func assertNoSecrets(t *testing.T, ac *audit.Client) {
	t.Helper()
	_, rows, err := ac.Query(t.Context(), "SELECT * FROM jitgate.events")
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) == 0 {
		t.Fatal("no rows stored")
	}
	for _, row := range rows {
		for _, cell := range row {
			texts := []string{cell}
			for _, b64 := range base64RE.FindAllString(cell, -1) {
				if dec, err := base64.StdEncoding.DecodeString(b64); err == nil {
					texts = append(texts, string(dec))
				}
			}
			for _, text := range texts {
				for _, s := range allSecrets {
					if strings.Contains(text, s) {
						t.Errorf("secret %q stored in %q", s, cell)
					}
				}
			}
		}
	}
}

var base64RE = regexp.MustCompile(`[A-Za-z0-9+/]{16,}={0,2}`)

func TestMigrateIsIdempotent(t *testing.T) {
	r, ac := newTestRecorder(t, 0) // newTestRecorder migrated once
	ctx := t.Context()
	for range 2 {
		if err := Migrate(ctx, r.conn, "jitgate"); err != nil {
			t.Fatalf("migrate again: %v", err)
		}
	}
	sv, err := r.conn.ServerVersion()
	if err != nil {
		t.Fatal(err)
	}
	want := len(pending(migrations, nil, serverVersion{sv.Version.Major, sv.Version.Minor}))
	got := queryOne(t, ac, "SELECT count(), uniqExact(version) FROM jitgate.schema_migrations")
	if got[0] != got[1] || got[1] != strconv.Itoa(want) {
		t.Errorf("schema_migrations rows, versions = %v; want %d once each", got, want)
	}
	if got := queryOne(t, ac, "SELECT count() FROM jitgate.requests"); got[0] != "0" {
		t.Errorf("requests view on an empty table: %v", got)
	}
}

func TestStoreRedeliveredBatchCountsOnce(t *testing.T) {
	r, ac := newTestRecorder(t, DefaultBodyCap)
	ctx := t.Context()
	start := time.Date(2026, 3, 4, 5, 6, 7, 123456000, time.UTC)
	batch := append(lifecycle(t, "req-1", start), lifecycle(t, "req-2", start.Add(time.Second))...)
	for range 2 { // the second is a redelivery after a lost offset commit
		if err := r.storeBatch(ctx, batch); err != nil {
			t.Fatal(err)
		}
	}
	if got := queryOne(t, ac, "SELECT count() FROM jitgate.events"); got[0] != "20" {
		t.Logf("rows before merge: %s (FINAL dedups them)", got[0])
	}
	events, err := ac.Timeline(ctx, "req-1")
	if err != nil {
		t.Fatal(err)
	}
	var types []string
	for _, e := range events {
		types = append(types, e.Type)
	}
	if !slices.Equal(types, lifecycleTypes) {
		t.Fatalf("timeline types = %v, want %v", types, lifecycleTypes)
	}
	if !events[0].Time.Equal(start) {
		t.Errorf("first event at %v, want %v (microseconds kept)", events[0].Time, start)
	}
	tests := []struct {
		name  string
		event audit.Event
		check func(audit.Event) bool
	}{
		{"request keeps principal and service", events[0], func(e audit.Event) bool {
			return e.Principal == "agent-7" && e.Service == "iam" && e.Operation == "CreateLoginProfile"
		}},
		{"request body kept masked", events[0], func(e audit.Event) bool {
			return strings.Contains(e.Body, "UserName=bob") && strings.Contains(e.Body, "Password=")
		}},
		{"authorization header noted", events[0], func(e audit.Event) bool {
			return slices.Contains(e.Redacted, "request.headers.authorization")
		}},
		{"decision flattened", events[1], func(e audit.Event) bool {
			return e.Outcome == "allow" && e.Rule == "iam-admins" && e.Principal == "agent-7"
		}},
		{"raw body not recorded", events[3], func(e audit.Event) bool {
			return e.Body == "" && e.Status == 200 && slices.Contains(e.Redacted, "response.body: raw, not recorded")
		}},
		{"response body masked", events[4], func(e audit.Event) bool {
			return strings.Contains(e.Body, "AKIAEXAMPLE") && e.Outcome == "executed"
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if !tc.check(tc.event) {
				t.Errorf("event %+v", tc.event)
			}
		})
	}
	assertNoSecrets(t, ac)

	recent, err := ac.Recent(ctx, audit.Filter{Principal: "agent-7", Outcome: "executed"})
	if err != nil {
		t.Fatal(err)
	}
	if len(recent) != 2 || recent[0].RequestID != "req-2" || recent[0].Events != 5 || recent[0].Decision != "allow" || recent[0].Status != 200 {
		t.Errorf("recent = %+v", recent)
	}
	if recent, err := ac.Recent(ctx, audit.Filter{Since: start.Add(500 * time.Millisecond)}); err != nil || len(recent) != 1 {
		t.Errorf("recent since = %+v, %v; want req-2 only", recent, err)
	}
	if got := queryOne(t, ac, "SELECT count(), sum(events) FROM jitgate.requests"); got[0] != "2" || got[1] != "10" {
		t.Errorf("requests view count, events = %v; want 2, 10", got)
	}
}

func TestStoreUndecodable(t *testing.T) {
	r, ac := newTestRecorder(t, DefaultBodyCap)
	ctx := t.Context()
	future := `{"id":"f1","type":"future.event","version":9,"request_id":"req-u","time":"2026-01-02T03:04:05.000006Z",` +
		`"payload":{"body":"` + base64.StdEncoding.EncodeToString([]byte(rawSecret)) + `","headers":[{"name":"Authorization","value":"` + authHeader + `"}],` +
		`"Credentials":{"SessionToken":"` + sessionToken + `"}}}`
	batch := []bus.Message{
		{Topic: schemas.TopicRequests, Partition: 0, Offset: 7, Value: []byte(future)},
		{Topic: schemas.TopicGrants, Partition: 1, Offset: 8, Value: []byte("not json at all")},
		{Topic: schemas.TopicExecutions, Partition: 2, Offset: 9, Value: []byte(`{"id":"x","payload":{"secret":"` + rawSecret + `"}}`)},
	}
	for range 2 {
		if err := r.storeBatch(ctx, batch); err != nil {
			t.Fatal(err)
		}
	}
	_, rows, err := ac.Query(ctx, "SELECT event_id, request_id, ts_us, payload FROM jitgate.events FINAL WHERE type = 'undecodable' ORDER BY event_id")
	if err != nil {
		t.Fatal(err)
	}
	want := [][]string{
		{"undecodable/executions/2/9", "", "0", ""},
		{"undecodable/grants/1/8", "", "0", "not json at all"},
		{"undecodable/requests/0/7", "req-u", "1767323045000006", ""},
	}
	if len(rows) != len(want) {
		t.Fatalf("rows = %q", rows)
	}
	for i, w := range want {
		got := rows[i]
		if got[0] != w[0] || got[1] != w[1] || got[2] != w[2] || (w[3] != "" && got[3] != w[3]) {
			t.Errorf("row %d = %q, want %q", i, got, w)
		}
	}
	if !strings.Contains(rows[2][3], "future.event") {
		t.Errorf("scrubbed value lost the type: %s", rows[2][3])
	}
	assertNoSecrets(t, ac)
}

// eventLog builds the records of a batch for storeBatch, as the recorder
// reads them from Kafka.
type eventLog struct {
	t     testing.TB
	batch []bus.Message
}

// add appends the event p of request id, written by producer at at on
// topic, under eventID.
func (l *eventLog) add(eventID, id, producer string, at time.Time, topic string, p schemas.Payload) {
	l.t.Helper()
	env, err := schemas.NewEnvelope(eventID, id, producer, at, p)
	if err != nil {
		l.t.Fatal(err)
	}
	raw, err := env.Marshal()
	if err != nil {
		l.t.Fatal(err)
	}
	l.batch = append(l.batch, bus.Message{Topic: topic, Partition: 1, Offset: int64(len(l.batch)), Envelope: env, Value: raw})
}
