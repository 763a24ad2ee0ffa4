package recorder

import (
	"bytes"
	"context"
	"log/slog"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jitgate/jitgate/internal/audit"
	"github.com/jitgate/jitgate/internal/bus"
	"github.com/jitgate/jitgate/internal/testenv"
)

// startBroker starts an embedded broker with the jitgate topics.
func startBroker(t *testing.T) bus.Config {
	t.Helper()
	b, err := bus.StartEmbedded(0, "")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(b.Close)
	cfg := bus.Config{Brokers: b.Addrs(), Partitions: 3}
	if err := bus.EnsureTopics(t.Context(), cfg); err != nil {
		t.Fatal(err)
	}
	return cfg
}

func publish(t *testing.T, cfg bus.Config, outs []bus.Output) {
	t.Helper()
	p, err := bus.NewPublisher(cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	if err := p.Publish(t.Context(), outs...); err != nil {
		t.Fatal(err)
	}
}

// runRecorder runs r until the test ends and checks that Run returned nil.
func runRecorder(t *testing.T, r *Recorder) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- r.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
	})
}

// waitForEvents polls until the request's timeline has n events; the
// overall bound only keeps a broken test from hanging.
func waitForEvents(t *testing.T, addr, requestID string, n int) []audit.Event {
	t.Helper()
	deadline := time.Now().Add(90 * time.Second)
	for {
		var events []audit.Event
		ac, err := audit.Open(t.Context(), addr, "jitgate", "", "")
		if err == nil {
			events, err = ac.Timeline(t.Context(), requestID)
			ac.Close()
		}
		if err == nil && len(events) == n {
			return events
		}
		if time.Now().After(deadline) {
			t.Fatalf("timeline of %s: %d events, err %v; want %d", requestID, len(events), err, n)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

func TestRunRecordsPublishedEvents(t *testing.T) {
	busCfg := startBroker(t)
	addr := testenv.ClickHouse(t)
	r, err := New(Config{Bus: busCfg, ClickHouse: addr, BodyCap: DefaultBodyCap}, Deps{})
	if err != nil {
		t.Fatal(err)
	}
	runRecorder(t, r)
	publish(t, busCfg, outputs(t, "req-e2e", time.Now()))
	events := waitForEvents(t, addr, "req-e2e", len(lifecycleTypes))
	for i, e := range events {
		if e.Type != lifecycleTypes[i] {
			t.Errorf("event %d is %s, want %s", i, e.Type, lifecycleTypes[i])
		}
		if e.Topic == "" || e.Offset < 0 {
			t.Errorf("event %d lacks its Kafka position: %+v", i, e)
		}
	}
}

// syncBuffer is a log sink safe for the recorder's goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func TestRunCatchesUpWhenClickHouseComesUp(t *testing.T) {
	script := filepath.Join(testenv.RepoRoot(t), "scripts", "clickhouse.sh")
	if err := exec.Command("bash", script, "bin").Run(); err != nil {
		t.Skipf("clickhouse-server not installed (scripts/clickhouse.sh bin: %v); run make deps", err)
	}
	busCfg := startBroker(t)
	tcp, httpPort := testenv.FreePort(t), testenv.FreePort(t)
	addr := "127.0.0.1:" + strconv.Itoa(tcp)
	var logs syncBuffer
	log := slog.New(slog.NewTextHandler(&logs, nil))
	r, err := New(Config{Bus: busCfg, ClickHouse: addr, BodyCap: DefaultBodyCap, Timeout: 5 * time.Second}, Deps{Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	publish(t, busCfg, outputs(t, "req-late", time.Now()))
	runRecorder(t, r)
	waitLog(t, &logs, "unreachable")
	time.Sleep(2 * time.Second) // let a few retries fail

	dir := t.TempDir()
	if out, err := exec.Command("bash", script, "start", dir, strconv.Itoa(tcp), strconv.Itoa(httpPort)).CombinedOutput(); err != nil {
		t.Fatalf("start ClickHouse: %v: %s", err, out)
	}
	t.Cleanup(func() {
		if out, err := exec.Command("bash", script, "stop", dir).CombinedOutput(); err != nil {
			t.Errorf("stop ClickHouse: %v: %s", err, out)
		}
	})
	waitForEvents(t, addr, "req-late", len(lifecycleTypes))

	text := logs.String()
	if n := strings.Count(text, "unreachable"); n != 1 {
		t.Errorf("logged %d unreachable messages, want 1:\n%s", n, text)
	}
	if !strings.Contains(text, "events stay in Kafka and will be recorded when it is back") {
		t.Errorf("the outage message does not say what happens:\n%s", text)
	}
	waitLog(t, &logs, "is back")
	t.Log(text)
}

// waitLog waits until the log holds want; the bound only keeps a broken
// test from hanging.
func waitLog(t *testing.T, logs *syncBuffer, want string) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for !strings.Contains(logs.String(), want) {
		if time.Now().After(deadline) {
			t.Fatalf("log never said %q:\n%s", want, logs.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
}
