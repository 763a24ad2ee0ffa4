package bus

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/jitgate/jitgate/schemas"
)

// stageProcessEnv, when set, makes the test binary run one stage (see
// TestMain) instead of the tests: the failover tests kill -9 it.
const stageProcessEnv = "JITGATE_BUS_STAGE_PROCESS"

func TestMain(m *testing.M) {
	if os.Getenv(stageProcessEnv) != "" {
		os.Exit(runStageProcess())
	}
	if os.Getenv(batchProcessEnv) != "" {
		os.Exit(runBatchProcess())
	}
	os.Exit(m.Run())
}

// runStageProcess runs the reply stage with the group and instance, on
// the brokers and prefix from the environment, until SIGTERM. Exit code 3:
// fenced.
func runStageProcess() int {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM)
	defer stop()
	cfg := processConfig()
	err := RunStage(ctx, StageConfig{Bus: cfg, Group: os.Getenv("JITGATE_BUS_GROUP"), Topics: []string{schemas.TopicRequests}, Instance: os.Getenv("JITGATE_BUS_INSTANCE"),
		Idempotent: os.Getenv("JITGATE_BUS_IDEMPOTENT") != ""},
		func(ctx context.Context, m Message) (Result, error) {
			env, err := schemas.NewEnvelope(m.Envelope.RequestID+"-reply", m.Envelope.RequestID, "stage", time.Now(), &schemas.ResponseReady{Outcome: schemas.OutcomeDenied})
			if err != nil {
				return Result{}, err
			}
			return Result{Out: []Output{{Topic: schemas.TopicResponses, Envelope: env}}}, nil
		})
	return processExit(err)
}

// processConfig is the bus configuration a member process gets from its
// environment (startProcess).
func processConfig() Config {
	return Config{Brokers: strings.Split(os.Getenv("JITGATE_BUS_BROKERS"), ","), Prefix: os.Getenv("JITGATE_BUS_PREFIX"), Partitions: 3, Replication: 1}
}

// processExit is a member process's exit code for the error its loop
// returned. 3: fenced.
func processExit(err error) int {
	switch {
	case errors.Is(err, ErrFenced):
		return 3
	case err != nil:
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	return 0
}

// startProcess starts the test binary as a group member process: mode is
// stageProcessEnv or batchProcessEnv (see TestMain), env more of its
// environment.
func startProcess(t *testing.T, cfg Config, mode, instance string, env ...string) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), mode+"=1", "JITGATE_BUS_BROKERS="+strings.Join(cfg.Brokers, ","),
		"JITGATE_BUS_PREFIX="+cfg.Prefix, "JITGATE_BUS_INSTANCE="+instance, "JITGATE_BUS_GROUP="+testGroup(t))
	cmd.Env = append(cmd.Env, env...)
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	return cmd
}

// startStageProcess starts the test binary as a stage process.
func startStageProcess(t *testing.T, cfg Config, instance string, idempotent bool) *exec.Cmd {
	t.Helper()
	var env []string
	if idempotent {
		env = append(env, "JITGATE_BUS_IDEMPOTENT=1")
	}
	return startProcess(t, cfg, stageProcessEnv, instance, env...)
}

// checkTakeover kills (SIGKILL) the member process start makes, starts it
// again with the same instance and asserts that every partition is served
// again within the session timeout: without static membership the new
// member would wait for the dead one's session to time out.
func checkTakeover(t *testing.T, addrs []string, start func(t *testing.T, cfg Config, instance string) *exec.Cmd) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	cfg := testConfig(t, addrs)
	replies, stop := collect(t, ctx, cfg, "", schemas.TopicResponses)
	defer stop()
	pub := testPublisher(t, cfg)

	first := start(t, cfg, "i1")
	warm := publishAcross(t, ctx, pub, "warm")
	waitFor(t, "the first process's replies", func() bool { return containsAll(replies(), warm) })
	if err := first.Process.Kill(); err != nil { // kill -9: no leave, no goodbye
		t.Fatal(err)
	}
	_ = first.Wait()

	begin := time.Now()
	start(t, cfg, "i1")
	after := publishAcross(t, ctx, pub, "after")
	waitFor(t, "the restarted process's replies", func() bool { return containsAll(replies(), after) })
	took := time.Since(begin)
	t.Logf("restart with the same instance: every partition served again after %v", took)
	if took >= SessionTimeout {
		t.Fatalf("takeover took %v, not less than the %v session timeout", took, SessionTimeout)
	}
}

// publishAcross publishes one request per key, so that every partition
// gets one, and returns their ids.
func publishAcross(t *testing.T, ctx context.Context, pub *Publisher, prefix string) []string {
	t.Helper()
	var ids []string
	for i := range 9 {
		id := fmt.Sprintf("%s-%d", prefix, i)
		ids = append(ids, id)
		if err := pub.Publish(ctx, Output{Topic: schemas.TopicRequests, Envelope: event(t, id, &schemas.RequestReceived{})}); err != nil {
			t.Fatal(err)
		}
	}
	return ids
}

// A stage killed with SIGKILL and restarted with the same instance takes
// over its partitions without waiting for its dead member's session to
// time out (static membership; its transactional id fences the dead
// producer).
func TestRestartedStageTakesOverAtOnce(t *testing.T) {
	eachStage(t, func(t *testing.T, addrs []string, idempotent bool) {
		checkTakeover(t, addrs, func(t *testing.T, cfg Config, instance string) *exec.Cmd {
			return startStageProcess(t, cfg, instance, idempotent)
		})
	})
}

// Two live processes with the same instance: the newer one fences the
// older, which stops with ErrFenced instead of fighting for the
// partitions, and the newer one keeps working.
func TestSameInstanceStopsTheOlderStage(t *testing.T) {
	eachStage(t, func(t *testing.T, addrs []string, idempotent bool) {
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		cfg := testConfig(t, addrs)
		replies, stop := collect(t, ctx, cfg, "", schemas.TopicResponses)
		defer stop()
		pub := testPublisher(t, cfg)
		run := func() chan error {
			done := make(chan error, 1)
			go func() {
				done <- RunStage(ctx, StageConfig{Bus: cfg, Group: testGroup(t), Topics: []string{schemas.TopicRequests}, Instance: "same", Idempotent: idempotent,
					RetryPause: 50 * time.Millisecond}, replyHandler(t))
			}()
			return done
		}
		older := run()
		warm := publishAcross(t, ctx, pub, "warm")
		waitFor(t, "the older stage's replies", func() bool { return containsAll(replies(), warm) })

		newer := run()
		// Keep the older one busy, so it meets its fenced producer as
		// well as its fenced membership.
		after := publishAcross(t, ctx, pub, "after")
		select {
		case err := <-older:
			if !errors.Is(err, ErrFenced) {
				t.Fatalf("the older stage returned %v, want ErrFenced", err)
			}
		case err := <-newer:
			t.Fatalf("the newer stage stopped first: %v", err)
		case <-time.After(30 * time.Second):
			t.Fatal("the older stage did not stop within 30 s of being fenced")
		}
		waitFor(t, "every request answered", func() bool { return containsAll(replies(), after) })
		more := publishAcross(t, ctx, pub, "more")
		waitFor(t, "the newer stage's replies", func() bool { return containsAll(replies(), more) })
		select {
		case err := <-newer:
			t.Fatalf("the newer stage stopped: %v", err)
		default:
		}
	})
}

func containsAll(have, want []string) bool {
	for _, w := range want {
		if !slices.Contains(have, w) {
			return false
		}
	}
	return true
}
