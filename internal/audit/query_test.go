package audit

import (
	"context"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestCheckReadOnly(t *testing.T) {
	tests := []struct {
		name string
		sql  string
		ok   bool
	}{
		{"select", "SELECT 1", true},
		{"lowercase with semicolon", "select * from jitgate.events;", true},
		{"leading comments", "-- who\n/* what */ SELECT 1", true},
		{"parenthesised", "(SELECT 1) UNION ALL (SELECT 2)", true},
		{"with", "WITH 1 AS x SELECT x", true},
		{"show", "SHOW TABLES FROM jitgate", true},
		{"describe", "DESCRIBE TABLE jitgate.events", true},
		{"desc", "desc jitgate.events", true},
		{"exists", "EXISTS TABLE jitgate.events", true},
		{"semicolon in a string", "SELECT ';' AS s", true},
		{"semicolon in a comment", "SELECT 1 -- ; DROP TABLE x", true},
		{"insert", "INSERT INTO t SELECT 1", false},
		{"drop", "DROP TABLE jitgate.events", false},
		{"alter", "ALTER TABLE jitgate.events DELETE WHERE 1", false},
		{"second statement", "SELECT 1; DROP TABLE t", false},
		{"second statement after a string", "SELECT 'a;b'; DROP TABLE t", false},
		{"verb glued to a word", "SELECTED 1", false},
		{"set", "SET readonly = 0", false},
		{"empty", "", false},
		{"only a comment", "-- SELECT 1", false},
		{"unterminated comment", "/* SELECT 1", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := checkReadOnly(tc.sql)
			if (err == nil) != tc.ok {
				t.Fatalf("checkReadOnly(%q) = %v, want ok %v", tc.sql, err, tc.ok)
			}
			if err != nil && !errors.Is(err, ErrNotReadOnly) {
				t.Errorf("error %v is not ErrNotReadOnly", err)
			}
		})
	}
}

// FuzzCheckReadOnly checks that an accepted statement starts with a
// read-only verb and that appending a second statement is always refused.
func FuzzCheckReadOnly(f *testing.F) {
	for _, s := range []string{"SELECT 1", "(SELECT ';')", "/* x */ show tables", "SELECT `a;b` FROM t -- c"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, sql string) {
		if checkReadOnly(sql) != nil {
			return
		}
		if strings.ContainsAny(sql, "'\"`") || strings.Contains(sql, "--") || strings.Contains(sql, "/*") {
			return // quotes or comments may swallow what follows
		}
		if checkReadOnly(sql+"; DROP TABLE t") == nil && !strings.HasSuffix(strings.TrimSpace(sql), ";") {
			t.Fatalf("accepted %q followed by a second statement", sql)
		}
	})
}

func TestRender(t *testing.T) {
	s := "x"
	var nilPtr *string
	tests := []struct {
		name string
		v    any
		want string
	}{
		{"string", "a", "a"},
		{"number", uint64(7), "7"},
		{"time", time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC), "2026-01-02T03:04:05Z"},
		{"array", []string{"a", "b"}, "[a,b]"},
		{"nullable set", &s, "x"},
		{"nullable null", nilPtr, "NULL"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := render(reflect.ValueOf(tc.v)); got != tc.want {
				t.Errorf("render(%#v) = %q, want %q", tc.v, got, tc.want)
			}
		})
	}
}

func TestRecentQuery(t *testing.T) {
	tests := []struct {
		name     string
		f        Filter
		wantArgs int
		wantSQL  []string
	}{
		{"no filter", Filter{}, 0, []string{"LIMIT 100", "FROM jitgate.events FINAL"}},
		{"everything", Filter{Principal: "p", Service: "s", Operation: "o", Outcome: "executed", Since: time.Unix(10, 0), Limit: 5},
			7, []string{"principal = ?", "service = ?", "operation = ?", "ts_us >= ?", "HAVING", "LIMIT 5"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			q, args := recentQuery("jitgate", tc.f)
			if len(args) != tc.wantArgs || strings.Count(q, "?") != len(args) {
				t.Errorf("%d args for %d placeholders, want %d", len(args), strings.Count(q, "?"), tc.wantArgs)
			}
			for _, w := range tc.wantSQL {
				if !strings.Contains(q, w) {
					t.Errorf("query lacks %q:\n%s", w, q)
				}
			}
		})
	}
}

// TestFilterOutcome: an outcome no request can have is refused with the
// valid ones listed, before any query; every listed outcome passes.
func TestFilterOutcome(t *testing.T) {
	tests := []struct {
		name    string
		outcome string
		ok      bool
	}{
		{"none", "", true},
		{"a final answer", "executed", true},
		{"an answer at the door", "unauthenticated", true},
		{"a credential exchange", "issued", true},
		{"a decision", "hold", true},
		{"a hold's end", "approved", true},
		{"bogus", "bogus", false},
		{"another case", "Executed", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := Filter{Outcome: tc.outcome}.Validate()
			if tc.ok {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if !errors.Is(err, ErrBadOutcome) {
				t.Fatalf("got %v, want ErrBadOutcome", err)
			}
			for _, o := range Outcomes {
				if !strings.Contains(err.Error(), o) {
					t.Errorf("%q does not list %q", err, o)
				}
			}
			if _, err := (&Client{}).Recent(context.Background(), Filter{Outcome: tc.outcome}); !errors.Is(err, ErrBadOutcome) {
				t.Errorf("Recent: %v, want ErrBadOutcome before any query", err)
			}
		})
	}
}
