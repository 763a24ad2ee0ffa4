package recorder

import (
	"errors"
	"log/slog"
	"sync"
	"time"
)

// status reports ClickHouse outages in one line rather than one per retry:
// the first failure, then again every `every` while it lasts, and the
// recovery.
type status struct {
	log   *slog.Logger
	addr  string
	every time.Duration
	now   func() time.Time

	mu       sync.Mutex
	down     bool
	since    time.Time
	lastLog  time.Time
	failures int
}

func (s *status) failed(err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	s.failures++
	if !s.down {
		s.down, s.since, s.lastLog = true, now, now
		var merr *MigrationError
		if errors.As(err, &merr) {
			s.log.Error("ClickHouse at "+s.addr+" refused the recorder's schema: "+err.Error()+"; events stay in Kafka and will be recorded once it is fixed",
				"clickhouse", s.addr)
			return
		}
		s.log.Error("ClickHouse at "+s.addr+" unreachable: "+err.Error()+"; events stay in Kafka and will be recorded when it is back",
			"clickhouse", s.addr)
		return
	}
	if now.Sub(s.lastLog) >= s.every {
		s.lastLog = now
		s.log.Error("ClickHouse at "+s.addr+" still unreachable; events stay in Kafka",
			"clickhouse", s.addr, "down_for", now.Sub(s.since).Round(time.Second), "attempts", s.failures, "err", err)
	}
}

func (s *status) ok() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.down {
		return
	}
	s.log.Info("ClickHouse at "+s.addr+" is back; recording resumed",
		"clickhouse", s.addr, "down_for", s.now().Sub(s.since).Round(time.Second), "attempts", s.failures)
	s.down, s.failures = false, 0
}
