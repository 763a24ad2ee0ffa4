package recorder

import (
	"context"
	"fmt"
	"strings"

	"github.com/ClickHouse/clickhouse-go/v2"
	"github.com/ClickHouse/clickhouse-go/v2/ext"
	"github.com/ClickHouse/clickhouse-go/v2/lib/column"
	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

	"github.com/jitgate/jitgate/recorder/internal/row"
)

// batchTable is the external table a batch travels in.
const batchTable = "_batch"

// insertSQL is the statement that copies a batch into the events table.
func insertSQL(database string) string {
	cols := row.Columns()
	names := make([]string, len(cols))
	for i, c := range cols {
		names[i] = "`" + c.Name + "`"
	}
	list := strings.Join(names, ", ")
	return fmt.Sprintf("INSERT INTO %s.events (%s) SELECT %s FROM %s", database, list, list, batchTable)
}

// insert writes rows with one INSERT ... SELECT from an external table,
// the insert path that works on ClickHouse 18.16 and on current servers.
func insert(ctx context.Context, conn driver.Conn, query string, rows []row.Row) error {
	cols := row.Columns()
	opts := make([]func(*ext.Table) error, len(cols))
	for i, c := range cols {
		opts[i] = ext.Column(c.Name, column.Type(c.Type))
	}
	tbl, err := ext.NewTable(batchTable, opts...)
	if err != nil {
		return fmt.Errorf("recorder: batch table: %w", err) // a bug: the column list is static
	}
	for i := range rows {
		if err := tbl.Append(rows[i].Values()...); err != nil {
			return fmt.Errorf("recorder: event %s: %w", rows[i].EventID, err)
		}
	}
	return conn.Exec(clickhouse.Context(ctx, clickhouse.WithExternalTable(tbl)), query)
}
