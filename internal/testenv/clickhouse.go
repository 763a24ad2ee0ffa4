package testenv

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"

	"github.com/jitgate/jitgate/internal/proc"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// clickHouseStartTimeout bounds a ClickHouse start; it is ready in well under
// a second on an idle machine.
const clickHouseStartTimeout = 60 * time.Second

// ClickHouse returns the native-protocol address (host:port) of a ClickHouse
// server for the test. If JITGATE_TEST_CLICKHOUSE is set, that is returned.
// Otherwise a throwaway server (Debian's clickhouse-server, found by
// scripts/clickhouse.sh on PATH, /usr/sbin or /usr/bin) starts in
// t.TempDir() on free ports with the user "default" and no password, and is
// stopped at cleanup. Without the binary the test is skipped, or fails under
// CI or JITGATE_REQUIRE_SERVERS=1.
func ClickHouse(t testing.TB) (addr string) {
	t.Helper()
	return ClickHouseServer(t).Addr
}

// ClickHouseServer is ClickHouse with a handle that stops and restarts the
// server (keeping its data), unless it came from JITGATE_TEST_CLICKHOUSE.
func ClickHouseServer(t testing.TB) *Server {
	t.Helper()
	if addr := os.Getenv("JITGATE_TEST_CLICKHOUSE"); addr != "" {
		return &Server{Addr: addr}
	}
	if _, ok := probe(t, "clickhouse.sh", "bin"); !ok {
		missing(t, "clickhouse-server is")
	}
	dir := t.TempDir()
	tcp, httpPort := FreePort(t), FreePort(t)
	for httpPort == tcp {
		httpPort = FreePort(t)
	}
	spec := proc.Spec{Name: "clickhouse-server", Path: "bash", Args: []string{script(t, "clickhouse.sh"), "run", dir, strconv.Itoa(tcp), strconv.Itoa(httpPort)},
		Log: filepath.Join(dir, "clickhouse.out"), MoreLogs: []string{filepath.Join(dir, "clickhouse-server.err.log")}}
	start := time.Now()
	ping := "http://" + net.JoinHostPort("127.0.0.1", strconv.Itoa(httpPort)) + "/ping"
	s := startServer(t, net.JoinHostPort("127.0.0.1", strconv.Itoa(tcp)), spec, clickHouseStartTimeout, func(ctx context.Context) error {
		return httpPing(ctx, ping)
	})
	t.Logf("testenv: ClickHouse on 127.0.0.1:%d ready in %s", tcp, time.Since(start).Round(10*time.Millisecond))
	return s
}

// httpPing asks ClickHouse's /ping, which answers "Ok." when it serves.
func httpPing(ctx context.Context, url string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	// An idle keep-alive connection would hold up the server's shutdown
	// for keep_alive_timeout.
	req.Close = true
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 64))
	if resp.StatusCode != http.StatusOK || !strings.HasPrefix(string(body), "Ok.") {
		return fmt.Errorf("GET %s: %s %q", url, resp.Status, body)
	}
	return nil
}
