package recorder

import (
	"errors"
	"testing"

	"github.com/jitgate/jitgate/internal/bus"
)

func TestConfigValidate(t *testing.T) {
	ok := Config{Bus: bus.Config{Brokers: []string{"127.0.0.1:9092"}}, ClickHouse: "127.0.0.1:9000"}
	tests := []struct {
		name    string
		edit    func(*Config)
		wantErr bool
	}{
		{"defaults", func(*Config) {}, false},
		{"no brokers", func(c *Config) { c.Bus.Brokers = nil }, true},
		{"no clickhouse", func(c *Config) { c.ClickHouse = "" }, true},
		{"clickhouse without port", func(c *Config) { c.ClickHouse = "localhost" }, true},
		{"database with a dot", func(c *Config) { c.Database = "a.b" }, true},
		{"database injection", func(c *Config) { c.Database = "x; DROP TABLE y" }, true},
		{"negative body cap", func(c *Config) { c.BodyCap = -1 }, true},
		{"zero body cap", func(c *Config) { c.BodyCap = 0 }, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := ok
			tc.edit(&c)
			err := c.Validate()
			if (err != nil) != tc.wantErr {
				t.Fatalf("Validate() = %v, want error %v", err, tc.wantErr)
			}
			if err != nil && !errors.Is(err, ErrConfig) {
				t.Errorf("error %v does not wrap ErrConfig", err)
			}
		})
	}
}

func TestPendingMigrations(t *testing.T) {
	all := []migration{{Version: 1}, {Version: 2}, {Version: 3, MinServer: serverVersion{20, 1}}}
	tests := []struct {
		name   string
		done   map[int]bool
		server serverVersion
		want   []int
	}{
		{"fresh 18.16", nil, serverVersion{18, 16}, []int{1, 2}},
		{"fresh 24.8", nil, serverVersion{24, 8}, []int{1, 2, 3}},
		{"exactly 20.1", nil, serverVersion{20, 1}, []int{1, 2, 3}},
		{"19.17 is too old", nil, serverVersion{19, 17}, []int{1, 2}},
		{"upgraded server catches up", map[int]bool{1: true, 2: true}, serverVersion{24, 8}, []int{3}},
		{"all applied", map[int]bool{1: true, 2: true, 3: true}, serverVersion{24, 8}, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var got []int
			for _, m := range pending(all, tc.done, tc.server) {
				got = append(got, m.Version)
			}
			if len(got) != len(tc.want) {
				t.Fatalf("pending = %v, want %v", got, tc.want)
			}
			for i := range got {
				if got[i] != tc.want[i] {
					t.Fatalf("pending = %v, want %v", got, tc.want)
				}
			}
		})
	}
}

// TestMigrationsAreOrdered: versions are 1, 2, ... N with no gap and no
// repeat (schema_migrations records them by version).
func TestMigrationsAreOrdered(t *testing.T) {
	last := 0
	for i, m := range migrations {
		if m.Version != last+1 {
			t.Errorf("migration %d (%s) has version %d after %d; versions must be 1, 2, ... with no gap", i, m.Name, m.Version, last)
		}
		last = m.Version
	}
}
