package testenv_test

import (
	"context"
	"regexp"
	"testing"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2"

	"github.com/jitgate/jitgate/internal/testenv"
)

// TestClickHouse starts a real server and checks that it answers over the
// native protocol with the settings the config promises.
func TestClickHouse(t *testing.T) {
	addr := testenv.ClickHouse(t)
	conn, err := clickhouse.Open(&clickhouse.Options{
		Addr:        []string{addr},
		Auth:        clickhouse.Auth{Database: "default", Username: "default"},
		DialTimeout: 5 * time.Second,
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })

	tests := []struct {
		name  string
		query string
		want  *regexp.Regexp
	}{
		{name: "version", query: "SELECT version()", want: regexp.MustCompile(`^\d+\.\d+\.\d+`)},
		// 18.16 names UTC "Etc/UTC"; rendering a known instant settles it.
		{name: "time zone is UTC", query: "SELECT toString(toDateTime(946684800))", want: regexp.MustCompile(`^2000-01-01 00:00:00$`)},
		{
			name:  "LowCardinality allowed",
			query: "SELECT toTypeName(toLowCardinality('x'))",
			want:  regexp.MustCompile(`^LowCardinality\(String\)$`),
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			var got string
			if err := conn.QueryRow(ctx, tt.query).Scan(&got); err != nil {
				t.Fatalf("%s: %v", tt.query, err)
			}
			if !tt.want.MatchString(got) {
				t.Errorf("%s = %q, want match for %s", tt.query, got, tt.want)
			}
		})
	}

	t.Run("table round trip", func(t *testing.T) {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		for _, q := range []string{
			"CREATE TABLE testenv_events (id UInt64, kind LowCardinality(String)) ENGINE = MergeTree ORDER BY id",
			"INSERT INTO testenv_events SELECT number, 'seen' FROM system.numbers LIMIT 3",
		} {
			if err := conn.Exec(ctx, q); err != nil {
				t.Fatalf("%s: %v", q, err)
			}
		}
		var n uint64
		if err := conn.QueryRow(ctx, "SELECT count() FROM testenv_events WHERE kind = ?", "seen").Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n != 3 {
			t.Errorf("count() = %d, want 3", n)
		}
	})
}
