package audit

import (
	"context"
	"fmt"
	"reflect"
	"strings"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2"
)

// Query runs one read-only statement (SELECT, WITH ... SELECT, SHOW,
// DESCRIBE, DESC or EXISTS) and returns the column names and every value
// rendered as text (times in RFC 3339, NULL as "NULL"). Anything else is
// ErrNotReadOnly, and the statement also runs with the server setting
// readonly=1, so a statement that slipped past the check still cannot
// write. At most MaxRows rows are returned; more gives those rows and
// ErrRowLimit.
func (c *Client) Query(ctx context.Context, sql string) (columns []string, rows [][]string, err error) {
	if err := checkReadOnly(sql); err != nil {
		return nil, nil, err
	}
	ctx, cancel := c.deadline(ctx)
	defer cancel()
	ctx = clickhouse.Context(ctx, clickhouse.WithSettings(clickhouse.Settings{"readonly": 1}))
	rs, err := c.conn.Query(ctx, sql)
	if err != nil {
		return nil, nil, fmt.Errorf("audit: query: %w", err)
	}
	defer rs.Close()
	columns = rs.Columns()
	types := rs.ColumnTypes()
	dest := make([]any, len(types))
	for i, t := range types {
		dest[i] = reflect.New(t.ScanType()).Interface()
	}
	for rs.Next() {
		if len(rows) == MaxRows {
			return columns, rows, ErrRowLimit
		}
		if err := rs.Scan(dest...); err != nil {
			return nil, nil, fmt.Errorf("audit: query: %w", err)
		}
		row := make([]string, len(dest))
		for i, d := range dest {
			row[i] = render(reflect.ValueOf(d).Elem())
		}
		rows = append(rows, row)
	}
	if err := rs.Err(); err != nil {
		return nil, nil, fmt.Errorf("audit: query: %w", err)
	}
	return columns, rows, nil
}

// render formats one scanned value.
func render(v reflect.Value) string {
	switch v.Kind() {
	case reflect.Pointer, reflect.Interface:
		if v.IsNil() {
			return "NULL"
		}
		return render(v.Elem())
	case reflect.String:
		return v.String()
	case reflect.Slice:
		if v.Type().Elem().Kind() == reflect.Uint8 {
			return string(v.Bytes())
		}
		parts := make([]string, v.Len())
		for i := range parts {
			parts[i] = render(v.Index(i))
		}
		return "[" + strings.Join(parts, ",") + "]"
	}
	if t, ok := v.Interface().(time.Time); ok {
		return t.UTC().Format(time.RFC3339Nano)
	}
	return fmt.Sprint(v.Interface())
}

// readOnlyVerbs are the statements Query accepts.
var readOnlyVerbs = map[string]bool{"SELECT": true, "WITH": true, "SHOW": true, "DESCRIBE": true, "DESC": true, "EXISTS": true}

// checkReadOnly accepts a single statement starting with a read-only verb
// (after comments, whitespace and opening parentheses), with at most a
// trailing semicolon.
func checkReadOnly(sql string) error {
	s := skipSpace(sql)
	for strings.HasPrefix(s, "(") {
		s = skipSpace(s[1:])
	}
	end := 0
	for end < len(s) && (isWordByte(s[end])) {
		end++
	}
	if !readOnlyVerbs[strings.ToUpper(s[:end])] {
		return ErrNotReadOnly
	}
	if i := statementEnd(s); i >= 0 && skipSpace(s[i+1:]) != "" {
		return ErrNotReadOnly
	}
	return nil
}

func isWordByte(b byte) bool {
	return b == '_' || 'a' <= b && b <= 'z' || 'A' <= b && b <= 'Z' || '0' <= b && b <= '9'
}

// skipSpace drops leading whitespace and comments.
func skipSpace(s string) string {
	for {
		s = strings.TrimLeft(s, " \t\r\n\f\v")
		switch {
		case strings.HasPrefix(s, "--"):
			i := strings.IndexByte(s, '\n')
			if i < 0 {
				return ""
			}
			s = s[i+1:]
		case strings.HasPrefix(s, "/*"):
			i := strings.Index(s[2:], "*/")
			if i < 0 {
				return ""
			}
			s = s[i+4:]
		default:
			return s
		}
	}
}

// statementEnd returns the index of the first ';' outside quotes and
// comments, or -1.
func statementEnd(s string) int {
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == ';':
			return i
		case c == '\'' || c == '"' || c == '`':
			for i++; i < len(s) && s[i] != c; i++ {
				if s[i] == '\\' {
					i++
				}
			}
		case c == '-' && i+1 < len(s) && s[i+1] == '-':
			for i < len(s) && s[i] != '\n' {
				i++
			}
		case c == '/' && i+1 < len(s) && s[i+1] == '*':
			j := strings.Index(s[i+2:], "*/")
			if j < 0 {
				return -1
			}
			i += j + 3
		}
	}
	return -1
}
