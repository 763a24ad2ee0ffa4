package testenv

import (
	"context"
	"github.com/jitgate/jitgate/internal/bus"
	"net"
	"os"
	"os/exec"

	"github.com/jitgate/jitgate/internal/proc"
	"path/filepath"
	"strconv"
	"testing"
	"time"
)

// kafkaStartTimeout bounds a broker start (storage format and JVM start-up):
// about ten seconds on an idle two-core machine, more under load.
const kafkaStartTimeout = 180 * time.Second

// Kafka returns the address (host:port) of a real Apache Kafka broker for the
// test. If JITGATE_TEST_KAFKA is set (scripts/test.sh starts one broker for
// the whole run), that is returned, and tests must use their own topic and
// group names. Otherwise a single-node KRaft broker starts from the jars that
// scripts/deps.sh caches, in t.TempDir() on free ports, and is stopped at
// cleanup; that takes about ten seconds. The broker does not create topics
// on use (auto.create.topics.enable=false) and runs transactions and
// consumer groups with replication factor 1. Without the jars the test is
// skipped, or fails under CI or JITGATE_REQUIRE_SERVERS=1.
func Kafka(t testing.TB) (addr string) {
	t.Helper()
	return KafkaServer(t).Addr
}

// KafkaServer is Kafka with a handle that stops and restarts the broker
// (keeping its data), unless it came from JITGATE_TEST_KAFKA.
func KafkaServer(t testing.TB) *Server {
	t.Helper()
	if addr := os.Getenv("JITGATE_TEST_KAFKA"); addr != "" {
		return &Server{Addr: addr}
	}
	return OwnKafkaServer(t)
}

// OwnKafkaServer starts a broker for t alone, whatever JITGATE_TEST_KAFKA
// says: a test that stops and restarts its broker must not take the shared
// one down.
func OwnKafkaServer(t testing.TB) *Server {
	t.Helper()
	if _, ok := probe(t, "kafka.sh", "libs"); !ok {
		missing(t, "the Kafka broker jars are")
	}
	if _, err := exec.LookPath("java"); err != nil {
		missing(t, "java (17 or newer) is")
	}
	dir := t.TempDir()
	port, controller := FreePort(t), FreePort(t)
	for controller == port {
		controller = FreePort(t)
	}
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	spec := proc.Spec{Name: "kafka broker", Path: "bash", Args: []string{script(t, "kafka.sh"), "run", dir, strconv.Itoa(port), strconv.Itoa(controller)},
		Log: filepath.Join(dir, "kafka.log"), MoreLogs: []string{filepath.Join(dir, "format.log")}}
	start := time.Now()
	s := startServer(t, addr, spec, kafkaStartTimeout, func(ctx context.Context) error {
		return bus.BrokerReady(ctx, addr)
	})
	t.Logf("testenv: Kafka broker on %s ready in %s", addr, time.Since(start).Round(100*time.Millisecond))
	return s
}
