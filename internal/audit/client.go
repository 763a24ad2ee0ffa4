package audit

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2"
	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
)

// DefaultTimeout bounds every call of a Client unless Timeout is changed.
const DefaultTimeout = 30 * time.Second

// MaxRows is the most rows Query returns.
const MaxRows = 100_000

// Client queries the recorder's tables. It is safe for concurrent use.
type Client struct {
	conn driver.Conn
	db   string
	// Timeout bounds each call. Default DefaultTimeout.
	Timeout time.Duration
}

var identRE = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// Open connects to ClickHouse's native protocol at addr (host:port) and
// checks that it answers. database is the recorder's database ("" means
// "jitgate"); user "" means "default".
func Open(ctx context.Context, addr, database, user, pass string) (*Client, error) {
	if database == "" {
		database = "jitgate"
	}
	if !identRE.MatchString(database) {
		return nil, fmt.Errorf("%w: %q", ErrBadDatabase, database)
	}
	if user == "" {
		user = "default"
	}
	conn, err := clickhouse.Open(&clickhouse.Options{
		Addr: []string{addr},
		// Unqualified names in ad-hoc queries mean the recorder's tables.
		Auth:        clickhouse.Auth{Database: database, Username: user, Password: pass},
		DialTimeout: 10 * time.Second,
		ReadTimeout: DefaultTimeout,
	})
	if err != nil {
		return nil, fmt.Errorf("audit: ClickHouse at %s: %w", addr, err)
	}
	c := &Client{conn: conn, db: database, Timeout: DefaultTimeout}
	ctx, cancel := c.deadline(ctx)
	defer cancel()
	if err := conn.Ping(ctx); err != nil {
		conn.Close()
		var ex *clickhouse.Exception
		if errors.As(err, &ex) && ex.Code == unknownDatabase {
			return nil, fmt.Errorf("audit: ClickHouse at %s has no database %q: has the recorder run (jitgate recorder --clickhouse %s)?", addr, database, addr)
		}
		return nil, fmt.Errorf("audit: ClickHouse at %s does not answer (is it running, and is this the native port, usually 9000?): %w", addr, err)
	}
	return c, nil
}

// unknownDatabase is ClickHouse's UNKNOWN_DATABASE error code.
const unknownDatabase = 81

// Close releases the connections.
func (c *Client) Close() error { return c.conn.Close() }

func (c *Client) deadline(ctx context.Context) (context.Context, context.CancelFunc) {
	t := c.Timeout
	if t <= 0 {
		t = DefaultTimeout
	}
	return context.WithTimeout(ctx, t)
}
