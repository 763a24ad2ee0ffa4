package bench

import (
	"context"
	"encoding/hex"
	"fmt"
	"github.com/jitgate/jitgate/internal/bus"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awssts "github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/jitgate/jitgate/internal/devissuer"
	"github.com/jitgate/jitgate/internal/session"
)

// Identity settings of the roles target; the same shape as `jitgate dev`.
const (
	rolesAudience = "jitgate-bench"
	rolesRoleARN  = "arn:aws:iam::000000000000:role/jitgate-bench-agent"
	rolesAllowed  = "arn:aws:iam::000000000000:role/*"
)

// rolesTarget starts a real Kafka broker (scripts/kafka.sh, the jars
// scripts/deps.sh caches) and the ingress, decider, executor and masker as
// separate processes on it, wired as in production: keys in the
// environment, an OIDC issuer (in-process here), the executor pointed at
// upstream. The recorder stays off: it is off the agent's path.
func rolesTarget(ctx context.Context, cfg Config, upstream, dir string) (*target, error) {
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
		stops = append(stops, k.stop)
		brokers = addr
	}

	issuerURL, stopIssuer, issuer, err := startIssuer()
	if err != nil {
		return fail(err)
	}
	stops = append(stops, stopIssuer)

	port, err := freePort()
	if err != nil {
		return fail(err)
	}
	listen := fmt.Sprintf("127.0.0.1:%d", port)
	common := []string{
		"JITGATE_KAFKA=" + brokers,
		fmt.Sprintf("JITGATE_TOPIC_PREFIX=bench%d.", time.Now().UnixNano()),
		"JITGATE_PARTITIONS=3", "JITGATE_REPLICATION=1",
		"JITGATE_DECISION_KEY=" + hex.EncodeToString(session.GenerateKey()),
		"JITGATE_HOLDS_KEY=" + hex.EncodeToString(session.GenerateKey()),
		"JITGATE_LOG_LEVEL=" + cfg.LogLevel,
	}
	with := func(extra ...string) []string { return append(append([]string(nil), common...), extra...) }
	wait := cfg.Wait.String()
	type role struct {
		name string
		env  []string
		args []string
	}
	roles := []role{
		{"ingress", with("JITGATE_SESSION_KEYS="+session.EncodeKey(session.GenerateKey()),
			"JITGATE_OIDC_ISSUER="+issuerURL, "JITGATE_OIDC_AUDIENCE="+rolesAudience, "JITGATE_ALLOWED_ROLES="+rolesAllowed),
			[]string{"ingress", "--listen", listen, "--instance", "bench-ingress-1", "--wait", wait}},
		{"decider", with(), []string{"decider", "--instance", "bench-decider-1", "--policy", filepath.Join(cfg.RepoRoot, "policies", "dev.yaml")}},
		{"executor", with(append(gatewayEnv(), "JITGATE_ALLOWED_ROLES="+rolesAllowed)...),
			[]string{"executor", "--instance", "bench-executor-1", "--upstream", upstream, "--max-wait", wait}},
		{"masker", with(), []string{"masker", "--instance", "bench-masker-1"}},
	}
	var children []*child
	for _, r := range roles {
		c, err := startChild("jitgate-"+r.name, dir, r.env, cfg.Jitgate, r.args...)
		if err != nil {
			return fail(err)
		}
		stops = append(stops, c.stop)
		children = append(children, c)
	}
	endpoint := "http://" + listen
	if err := waitFor(ctx, "jitgate ingress", cfg.StartTimeout, httpReady(endpoint+"/readyz"), children...); err != nil {
		return fail(err)
	}
	return &target{name: TargetRoles,
		close: func() {
			for i := len(stops) - 1; i >= 0; i-- {
				stops[i]()
			}
		},
		agent: func(ctx context.Context, i int) (Agent, error) {
			creds, err := assumeRole(ctx, endpoint, issuer, fmt.Sprintf("bench-%d", i))
			if err != nil {
				return Agent{}, err
			}
			return Agent{Endpoint: endpoint, Creds: creds}, nil
		}}, nil
}

// startIssuer serves a dev OIDC issuer on a loopback port.
func startIssuer() (string, func(), *devissuer.Issuer, error) {
	port, err := freePort()
	if err != nil {
		return "", nil, nil, err
	}
	base := fmt.Sprintf("http://127.0.0.1:%d", port)
	issuer, err := devissuer.New(base + "/oidc")
	if err != nil {
		return "", nil, nil, err
	}
	mux := http.NewServeMux()
	mux.Handle("/oidc/", http.StripPrefix("/oidc", issuer))
	addr, stop, err := serveOn(fmt.Sprintf("127.0.0.1:%d", port), mux)
	if err != nil {
		return "", nil, nil, err
	}
	if addr != base {
		stop()
		return "", nil, nil, fmt.Errorf("issuer listens on %s, not %s", addr, base)
	}
	return issuer.URL(), stop, issuer, nil
}

// assumeRole exchanges a fresh token for agent at the gateway's own
// AssumeRoleWithWebIdentity, as an agent does.
func assumeRole(ctx context.Context, endpoint string, issuer *devissuer.Issuer, agent string) (aws.Credentials, error) {
	tok, err := issuer.Mint(agent, []string{agentGroup}, rolesAudience, 2*time.Hour)
	if err != nil {
		return aws.Credentials{}, err
	}
	client := awssts.New(awssts.Options{Region: region, BaseEndpoint: aws.String(endpoint), Credentials: aws.AnonymousCredentials{}})
	out, err := client.AssumeRoleWithWebIdentity(ctx, &awssts.AssumeRoleWithWebIdentityInput{
		RoleArn: aws.String(rolesRoleARN), RoleSessionName: aws.String(agent), WebIdentityToken: aws.String(tok),
		DurationSeconds: aws.Int32(3600)})
	if err != nil {
		return aws.Credentials{}, fmt.Errorf("AssumeRoleWithWebIdentity at %s: %w", endpoint, err)
	}
	c := out.Credentials
	return aws.Credentials{AccessKeyID: aws.ToString(c.AccessKeyId), SecretAccessKey: aws.ToString(c.SecretAccessKey), SessionToken: aws.ToString(c.SessionToken)}, nil
}

// startKafka runs a single-node KRaft broker with scripts/kafka.sh in
// dir/kafka and waits until it answers metadata requests.
func startKafka(ctx context.Context, cfg Config, dir string) (*child, string, error) {
	script := filepath.Join(cfg.RepoRoot, "scripts", "kafka.sh")
	if _, err := os.Stat(script); err != nil {
		return nil, "", fmt.Errorf("%w: %w", ErrStart, err)
	}
	port, err := freePort()
	if err != nil {
		return nil, "", err
	}
	cport, err := freePort()
	for err == nil && cport == port {
		cport, err = freePort()
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
		k.stop()
		return nil, "", err
	}
	return k, addr, nil
}
