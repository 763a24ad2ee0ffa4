package recorder

import (
	"bytes"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"
)

func TestStatusLogsOutagesOnce(t *testing.T) {
	var buf bytes.Buffer
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	s := &status{log: slog.New(slog.NewTextHandler(&buf, nil)), addr: "ch:9000", every: 5 * time.Minute, now: func() time.Time { return now }}
	down := errors.New("connection refused")
	steps := []struct {
		name  string
		after time.Duration
		fail  error // nil = success
		want  string
	}{
		{"first failure", 0, down, "ClickHouse at ch:9000 unreachable: connection refused; events stay in Kafka and will be recorded when it is back"},
		{"retry a second later", time.Second, down, ""},
		{"retry a minute later", time.Minute, down, ""},
		{"five minutes on", 4 * time.Minute, down, "still unreachable"},
		{"soon after", time.Second, down, ""},
		{"recovery", time.Second, nil, "is back"},
		{"healthy", time.Second, nil, ""},
		{"schema refused", time.Second, &MigrationError{Version: 2, Name: "x", Err: fmt.Errorf("syntax")}, "refused the recorder's schema"},
	}
	for _, st := range steps {
		buf.Reset()
		now = now.Add(st.after)
		if st.fail != nil {
			s.failed(st.fail)
		} else {
			s.ok()
		}
		got := buf.String()
		if st.want == "" && got != "" || st.want != "" && !strings.Contains(got, st.want) {
			t.Errorf("%s: logged %q, want %q", st.name, got, st.want)
		}
	}
}
