package audit

import (
	"errors"
	"testing"

	"github.com/jitgate/jitgate/internal/testenv"
)

func TestClientOnClickHouse(t *testing.T) {
	addr := testenv.ClickHouse(t)
	ctx := t.Context()
	if _, err := Open(ctx, addr, "bad;name", "", ""); !errors.Is(err, ErrBadDatabase) {
		t.Errorf("Open with a bad database name: %v", err)
	}
	c, err := Open(ctx, addr, "", "", "")
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()

	cols, rows, err := c.Query(ctx, "SELECT name, value FROM system.settings WHERE name = 'readonly'")
	if err != nil {
		t.Fatal(err)
	}
	if len(cols) != 2 || cols[0] != "name" || len(rows) != 1 || rows[0][1] != "1" {
		t.Errorf("ad-hoc queries must run with readonly=1; got %v %v", cols, rows)
	}
	if _, _, err := c.Query(ctx, "CREATE DATABASE nope"); !errors.Is(err, ErrNotReadOnly) {
		t.Errorf("CREATE accepted: %v", err)
	}
	if _, _, err := c.Query(ctx, "SELECT * FROM system.numbers LIMIT 3"); err != nil {
		t.Errorf("streaming select: %v", err)
	}
	if _, err := c.Timeline(ctx, "r"); err == nil {
		t.Error("Timeline without the recorder's tables should fail")
	}
}
