// Package clustertest gives tests a whole jitgate deployment as processes
// (internal/cluster) with everything around it: a real Kafka broker
// (testenv.KafkaServer, or JITGATE_TEST_KAFKA's with the cluster's own
// topic prefix), ClickHouse (testenv.ClickHouseServer), the AWS emulator
// behind its SigV4-checking, call-recording shim (internal/awsemu), and the
// jitgate binary built once per test binary. Everything is stopped by PID
// at the test's cleanup; on failure the roles' last log lines are printed
// and their logs kept.
package clustertest

import (
	"context"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/jitgate/jitgate/internal/awsemu"
	"github.com/jitgate/jitgate/internal/cluster"
	"github.com/jitgate/jitgate/internal/testenv"
)

// Gateway are the gateway's AWS credentials: the executor signs with them
// and the emulator accepts nothing else.
var Gateway = aws.Credentials{AccessKeyID: "AKIAGATEWAYCLUSTER01", SecretAccessKey: "gateway-secret-for-cluster-tests-only-0000"}

// Options shape the deployment. The zero value runs one process of each
// role with ClickHouse and policies/dev.yaml.
type Options struct {
	// NoClickHouse runs no ClickHouse and no recorder.
	NoClickHouse bool
	// Replicas, Args, Wait and LogLevel are cluster.Config's.
	Replicas map[cluster.Role]int
	Args     map[cluster.Role][]string
	Wait     time.Duration
	LogLevel string
	// Policy is the decider's policy file; default policies/dev.yaml.
	Policy string
	// Partitions of the topics; default cluster.DefaultPartitions.
	Partitions int
	// OwnBroker starts a broker for this deployment alone, even when
	// JITGATE_TEST_KAFKA names a shared one, so that a test may stop it.
	OwnBroker bool
}

// Env is a running deployment.
type Env struct {
	*cluster.Cluster
	// Kafka is the broker; it can be stopped and started again unless it
	// came from JITGATE_TEST_KAFKA (Kafka.External()).
	Kafka *testenv.Server
	// ClickHouse is the recorder's server (nil with NoClickHouse).
	ClickHouse *testenv.Server
	// Emulator is the upstream; Emulator.Requests() is every call that
	// reached it, signed by the gateway.
	Emulator *awsemu.Emulator
	// Dir holds the processes' logs.
	Dir string
}

// New starts a deployment for t and stops it at t's cleanup.
func New(t testing.TB, opts Options) *Env {
	t.Helper()
	e := &Env{}
	if opts.OwnBroker {
		e.Kafka = testenv.OwnKafkaServer(t)
	} else {
		e.Kafka = testenv.KafkaServer(t)
	}
	if !opts.NoClickHouse {
		e.ClickHouse = testenv.ClickHouseServer(t)
	}
	emu, err := awsemu.Start(Gateway, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(emu.Close)
	e.Emulator = emu
	// The logs outlive a failed test (or any, with JITGATE_KEEP_LOGS=1),
	// to be read after it.
	dir, err := os.MkdirTemp("", "jitgate-cluster-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if t.Failed() || os.Getenv("JITGATE_KEEP_LOGS") == "1" {
			t.Logf("cluster logs kept in %s", dir)
			return
		}
		_ = os.RemoveAll(dir)
	})
	e.Dir = dir
	if opts.Policy == "" {
		opts.Policy = filepath.Join(testenv.RepoRoot(t), "policies", "dev.yaml")
	}
	cfg := cluster.Config{Bin: Binary(t), Dir: e.Dir, Kafka: e.Kafka.Addr, Upstream: emu.URL, Gateway: Gateway,
		Policy: opts.Policy, Wait: opts.Wait, Replicas: opts.Replicas, Args: opts.Args, LogLevel: opts.LogLevel,
		Partitions: opts.Partitions}
	if e.ClickHouse != nil {
		cfg.ClickHouse = e.ClickHouse.Addr
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	c, err := cluster.Start(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	e.Cluster = c
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("last lines of the cluster's logs:\n%s", c.Tails(15))
		}
		c.Close()
	})
	return e
}

// AgentCredentials is cluster.AgentCredentials failing the test on error.
func (e *Env) Agent(t testing.TB, subject string, groups ...string) aws.Credentials {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cr, err := e.AgentCredentials(ctx, subject, groups)
	if err != nil {
		t.Fatal(err)
	}
	return cr
}

var (
	buildOnce sync.Once
	binDir    string
	binPath   string
	buildErr  error
)

// Binary builds ./cmd/jitgate once per test binary and returns its path.
// Call Main from TestMain to remove it when the tests end.
func Binary(t testing.TB) string {
	t.Helper()
	buildOnce.Do(func() {
		binDir, buildErr = os.MkdirTemp("", "jitgate-test-bin")
		if buildErr != nil {
			return
		}
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
		defer cancel()
		binPath, buildErr = cluster.Build(ctx, testenv.RepoRoot(t), binDir)
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return binPath
}

// Main runs the tests and removes the binary Binary built; use it as
// `func TestMain(m *testing.M) { os.Exit(clustertest.Main(m)) }`.
func Main(m *testing.M) int {
	code := m.Run()
	if binDir != "" {
		_ = os.RemoveAll(binDir)
	}
	return code
}
