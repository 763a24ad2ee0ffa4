package recorder

import (
	"fmt"
	"testing"
	"time"

	"github.com/jitgate/jitgate/internal/bus"
	"github.com/jitgate/jitgate/internal/testenv"
	"github.com/jitgate/jitgate/recorder/internal/row"
)

// benchBatch returns n messages: n/5 requests of five events each.
func benchBatch(b *testing.B, n int) []bus.Message {
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	ms := make([]bus.Message, 0, n)
	for i := 0; len(ms) < n; i++ {
		ms = append(ms, lifecycle(b, fmt.Sprintf("bench-%d", i), start.Add(time.Duration(i)*time.Millisecond))...)
	}
	return ms[:n]
}

// BenchmarkInsert10k measures one 10,000-event INSERT (external table) into
// ClickHouse, rows built beforehand.
func BenchmarkInsert10k(b *testing.B) {
	addr := testenv.ClickHouse(b)
	r, err := New(Config{Bus: bus.Config{Brokers: []string{"127.0.0.1:1"}}, ClickHouse: addr, BodyCap: DefaultBodyCap}, Deps{})
	if err != nil {
		b.Fatal(err)
	}
	defer r.conn.Close()
	if err := r.ensureSchema(b.Context()); err != nil {
		b.Fatal(err)
	}
	ms := benchBatch(b, 10_000)
	rows := make([]row.Row, len(ms))
	for i, m := range ms {
		rows[i] = r.rows.Build(m)
	}
	b.ResetTimer()
	for b.Loop() {
		if err := insert(b.Context(), r.conn, r.query, rows); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(len(rows)*b.N)/b.Elapsed().Seconds(), "events/s")
}

// BenchmarkBuild10k measures turning 10,000 events into rows (decode,
// scrub, mask, re-encode).
func BenchmarkBuild10k(b *testing.B) {
	r, err := New(Config{Bus: bus.Config{Brokers: []string{"127.0.0.1:1"}}, ClickHouse: "127.0.0.1:1", BodyCap: DefaultBodyCap}, Deps{})
	if err != nil {
		b.Fatal(err)
	}
	defer r.conn.Close()
	ms := benchBatch(b, 10_000)
	for b.Loop() {
		for _, m := range ms {
			r.rows.Build(m)
		}
	}
	b.ReportMetric(float64(len(ms)*b.N)/b.Elapsed().Seconds(), "events/s")
}
