package bench

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"

	"github.com/jitgate/jitgate/internal/bus"
	"github.com/jitgate/jitgate/internal/cluster"
	"github.com/jitgate/jitgate/internal/proc"
)

// rolesTarget starts a real Kafka broker (scripts/kafka.sh, the jars
// scripts/deps.sh caches) and the ingress, decider, executor and masker as
// separate processes on it through internal/cluster, wired as in
// production: keys in the environment, an OIDC issuer, the executor
// pointed at upstream. The recorder stays off: it is off the agent's path.
//
// Each role runs with --pprof on a loopback port (profiles during a run,
// and its Kafka request counts); the harness watches each role's CPU and,
// when it started the broker, the broker's.
func rolesTarget(ctx context.Context, cfg Config, name, bin, upstream, dir string) (*target, error) {
	dir = filepath.Join(dir, name)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	var watch []watched
	var stops []func()
	fail := func(err error) (*target, error) {
		for i := len(stops) - 1; i >= 0; i-- {
			stops[i]()
		}
		return nil, err
	}
	brokers := cfg.Kafka
	if brokers == "" {
		k, addr, err := startKafka(ctx, cfg, dir)
		if err != nil {
			return fail(err)
		}
		stops = append(stops, k.Stop)
		brokers = addr
		watch = append(watch, watched{name: "kafka", kind: KindBroker, pid: k.PID()})
	}
	roles := []cluster.Role{cluster.Ingress, cluster.Decider, cluster.Executor, cluster.Masker}
	args := map[cluster.Role][]string{}
	pprof := map[cluster.Role]string{}
	taken := map[int]bool{}
	for _, r := range roles {
		port, err := proc.FreePort()
		for err == nil && taken[port] {
			port, err = proc.FreePort()
		}
		if err != nil {
			return fail(err)
		}
		taken[port] = true
		pprof[r] = fmt.Sprintf("127.0.0.1:%d", port)
		args[r] = []string{"--pprof", pprof[r]}
	}
	c, err := cluster.Start(ctx, cluster.Config{
		Bin: bin, Args: args, Dir: dir, Kafka: brokers, Upstream: upstream, Gateway: gatewayCreds,
		Policy: filepath.Join(cfg.RepoRoot, "policies", "dev.yaml"), Wait: cfg.Wait, LogLevel: cfg.LogLevel,
		StartTimeout: cfg.StartTimeout,
		// The canned upstream stands for AWS: no --upstream-services list.
		Replicas: map[cluster.Role]int{cluster.Recorder: 0},
	})
	if err != nil {
		return fail(fmt.Errorf("%w: %w", ErrStart, err))
	}
	stops = append(stops, c.Close)
	for _, r := range roles {
		for _, n := range c.Names(r) {
			p, err := c.Process(n)
			if err != nil {
				return fail(err)
			}
			watch = append(watch, watched{name: n, kind: KindGateway, pid: p.PID(), requests: "http://" + pprof[r] + "/debug/kafka-requests"})
		}
		cfg.Log.Info("profiles", "target", name, "role", r, "pprof", "http://"+pprof[r]+"/debug/pprof/")
	}
	return &target{name: name, watch: watch,
		close: func() {
			for i := len(stops) - 1; i >= 0; i-- {
				stops[i]()
			}
		},
		agent: func(ctx context.Context, i int) (Agent, error) {
			creds, err := c.AgentCredentials(ctx, fmt.Sprintf("bench-%d", i), []string{agentGroup})
			if err != nil {
				return Agent{}, err
			}
			return Agent{Endpoint: c.Endpoint(), Creds: creds}, nil
		}}, nil
}

// startKafka runs a single-node KRaft broker with scripts/kafka.sh in
// dir/kafka and waits until it answers metadata requests.
func startKafka(ctx context.Context, cfg Config, dir string) (*proc.Process, string, error) {
	script := filepath.Join(cfg.RepoRoot, "scripts", "kafka.sh")
	if _, err := os.Stat(script); err != nil {
		return nil, "", fmt.Errorf("%w: %w", ErrStart, err)
	}
	port, err := proc.FreePort()
	if err != nil {
		return nil, "", err
	}
	cport, err := proc.FreePort()
	for err == nil && cport == port {
		cport, err = proc.FreePort()
	}
	if err != nil {
		return nil, "", err
	}
	addr := "127.0.0.1:" + strconv.Itoa(port)
	// The JIT compiler at full tier and G1: the script's fast-start
	// defaults are meant for tests, not for measuring.
	k, err := startChild("kafka", dir, []string{"KAFKA_JVM_OPTS=-XX:+UseG1GC"}, "bash", script, "run",
		filepath.Join(dir, "kafka"), strconv.Itoa(port), strconv.Itoa(cport))
	if err != nil {
		return nil, "", err
	}
	if err := waitFor(ctx, "Kafka broker (run `make deps` if its jars are missing)", 3*cfg.StartTimeout, func(ctx context.Context) error {
		return bus.BrokerReady(ctx, addr)
	}, k); err != nil {
		k.Stop()
		return nil, "", err
	}
	return k, addr, nil
}
