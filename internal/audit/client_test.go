package audit

import (
	"errors"
	"strings"
	"testing"

	"github.com/jitgate/jitgate/internal/testenv"
)

func TestClientOnClickHouse(t *testing.T) {
	addr := testenv.ClickHouse(t)
	ctx := t.Context()
	if _, err := Open(ctx, addr, "bad;name", "", ""); !errors.Is(err, ErrBadDatabase) {
		t.Errorf("Open with a bad database name: %v", err)
	}
	if _, err := Open(ctx, addr, "", "", ""); err == nil || !strings.Contains(err.Error(), "has the recorder run") {
		t.Errorf("Open before the recorder made its database: %v", err)
	}
	c, err := Open(ctx, addr, "system", "", "")
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, rows, err := c.Query(ctx, "SELECT count() FROM one"); err != nil || len(rows) != 1 {
		t.Errorf("unqualified names must resolve in the client's database: %v %v", rows, err)
	}

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
