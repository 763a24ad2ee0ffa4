package testenv_test

import (
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/jitgate/jitgate/internal/testenv"
)

func TestRepoRoot(t *testing.T) {
	root := testenv.RepoRoot(t)
	gomod, err := os.ReadFile(filepath.Join(root, "go.mod"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(string(gomod), "module github.com/jitgate/jitgate\n") {
		t.Errorf("RepoRoot() = %s: its go.mod is not jitgate's", root)
	}
	for _, s := range []string{"kafka.sh", "clickhouse.sh", "deps.sh", "test.sh"} {
		if _, err := os.Stat(filepath.Join(root, "scripts", s)); err != nil {
			t.Errorf("scripts/%s: %v", s, err)
		}
	}
}

func TestFreePort(t *testing.T) {
	port := testenv.FreePort(t)
	if port <= 0 || port > 65535 {
		t.Fatalf("FreePort() = %d", port)
	}
	ln, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port)))
	if err != nil {
		t.Fatalf("FreePort() = %d, but it cannot be bound: %v", port, err)
	}
	ln.Close()
}

func TestServerFromEnv(t *testing.T) {
	tests := []struct {
		name  string
		env   string
		start func(testing.TB) string
	}{
		{name: "clickhouse", env: "JITGATE_TEST_CLICKHOUSE", start: testenv.ClickHouse},
		{name: "kafka", env: "JITGATE_TEST_KAFKA", start: testenv.Kafka},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			const want = "127.0.0.1:1"
			t.Setenv(tt.env, want)
			if got := tt.start(t); got != want {
				t.Errorf("with %s=%s: got %q", tt.env, want, got)
			}
		})
	}
}
