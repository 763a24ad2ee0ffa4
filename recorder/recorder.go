package recorder

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2"
	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

	"github.com/jitgate/jitgate/internal/bus"
	"github.com/jitgate/jitgate/internal/redact"
	"github.com/jitgate/jitgate/recorder/internal/row"
	"github.com/jitgate/jitgate/schemas"
)

// Recorder consumes every topic and stores each event in ClickHouse.
type Recorder struct {
	cfg     Config
	log     *slog.Logger
	conn    driver.Conn
	rows    *row.Builder
	query   string
	status  *status
	migrate sync.Mutex // guards migrated
	// migrated is set once Migrate succeeded in this process.
	migrated bool
}

// New validates cfg and prepares a Recorder. It does not contact ClickHouse
// or Kafka; Run does.
func New(cfg Config, deps Deps) (*Recorder, error) {
	cfg.setDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	log := deps.Logger
	if log == nil {
		log = slog.Default()
	}
	red := deps.Redactor
	if red == nil {
		var err error
		if red, err = redact.New(nil); err != nil {
			return nil, fmt.Errorf("recorder: built-in masking rules: %w", err)
		}
	}
	conn, err := clickhouse.Open(&clickhouse.Options{
		Addr:        []string{cfg.ClickHouse},
		Auth:        clickhouse.Auth{Username: cfg.Username, Password: cfg.Password},
		DialTimeout: min(cfg.Timeout, 10*time.Second),
		ReadTimeout: cfg.Timeout,
		Compression: &clickhouse.Compression{Method: clickhouse.CompressionLZ4},
	})
	if err != nil {
		return nil, fmt.Errorf("%w: ClickHouse at %s: %w", ErrConfig, cfg.ClickHouse, err)
	}
	log = log.With("stage", "recorder")
	return &Recorder{
		cfg:    cfg,
		log:    log,
		conn:   conn,
		rows:   row.NewBuilder(red, cfg.BodyCap),
		query:  insertSQL(cfg.Database),
		status: &status{log: log, addr: cfg.ClickHouse, every: cfg.DownLogEvery, now: time.Now},
	}, nil
}

// Run migrates the schema and records events until ctx ends; it returns
// nil then. While ClickHouse is unreachable (at start or later) it logs
// once, keeps the events in Kafka (offsets stay uncommitted) and retries
// with backoff, catching up when the server is back. It returns an error
// only for a bus configuration that cannot work.
func (r *Recorder) Run(ctx context.Context) error {
	defer r.conn.Close()
	if err := r.ensureSchema(ctx); err != nil && ctx.Err() == nil {
		r.status.failed(err)
	}
	return bus.RunBatches(ctx, bus.BatchConfig{
		Bus:      r.cfg.Bus,
		Group:    r.cfg.Group,
		Instance: r.cfg.Instance,
		Topics:   schemas.AllTopics,
		MaxBatch: r.cfg.BatchSize,
		// The recorder reports an outage once and its recovery (status.go).
		QuietRetries: true,
		Logger:       r.log,
	}, r.storeBatch)
}

// storeBatch writes one batch (a bus.BatchHandler): one INSERT for all of
// it, under Config.Timeout. Storing the same events again is harmless.
func (r *Recorder) storeBatch(ctx context.Context, ms []bus.Message) error {
	if err := r.store(ctx, ms); err != nil {
		if ctx.Err() == nil { // not a shutdown
			r.status.failed(err)
		}
		return err
	}
	r.status.ok()
	return nil
}

func (r *Recorder) store(ctx context.Context, ms []bus.Message) error {
	if err := r.ensureSchema(ctx); err != nil {
		return err
	}
	rows := make([]row.Row, len(ms))
	for i, m := range ms {
		rows[i] = r.rows.Build(m)
	}
	ctx, cancel := context.WithTimeout(ctx, r.cfg.Timeout)
	defer cancel()
	if err := insert(ctx, r.conn, r.query, rows); err != nil {
		return fmt.Errorf("%w: insert %d events: %w", ErrUnavailable, len(rows), err)
	}
	return nil
}

// ensureSchema runs Migrate once per process.
func (r *Recorder) ensureSchema(ctx context.Context) error {
	r.migrate.Lock()
	defer r.migrate.Unlock()
	if r.migrated {
		return nil
	}
	ctx, cancel := context.WithTimeout(ctx, r.cfg.Timeout)
	defer cancel()
	if err := r.conn.Ping(ctx); err != nil {
		return fmt.Errorf("%w: %w", ErrUnavailable, err)
	}
	if err := Migrate(ctx, r.conn, r.cfg.Database); err != nil {
		return err
	}
	r.migrated = true
	return nil
}
