package bench

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/jitgate/jitgate/internal/proc"
)

// gatewayCreds are the gateway's own AWS credentials, given to the executor
// through the environment. The canned upstream does not check them.
var gatewayCreds = aws.Credentials{AccessKeyID: "AKIABENCHGATEWAY0000", SecretAccessKey: "bench-gateway-secret-not-checked-by-the-canned-upstream"}

// gatewayEnv is the environment of a process that holds the gateway's
// credentials and reads no shared AWS configuration.
func gatewayEnv() []string {
	return []string{
		"AWS_ACCESS_KEY_ID=" + gatewayCreds.AccessKeyID, "AWS_SECRET_ACCESS_KEY=" + gatewayCreds.SecretAccessKey,
		"AWS_REGION=" + region, "AWS_CONFIG_FILE=/dev/null", "AWS_SHARED_CREDENTIALS_FILE=/dev/null", "AWS_EC2_METADATA_DISABLED=true",
		"AWS_SESSION_TOKEN=", "AWS_PROFILE=",
	}
}

// agentGroup is the group policies/dev.yaml lets create, read and write.
const agentGroup = "sandbox"

// devTarget starts `jitgate dev` with its executor pointed at upstream and
// gets agent credentials the way a user does: `jitgate dev env --http`,
// which exchanges a dev OIDC token at the gateway's own
// AssumeRoleWithWebIdentity.
//
// It runs with --pprof on a loopback port, so that profiles can be taken
// during a run and each run can read its Kafka request counts.
func devTarget(ctx context.Context, cfg Config, name, bin, upstream, dir string) (*target, error) {
	dataDir := filepath.Join(dir, name)
	port, err := proc.FreePort()
	if err != nil {
		return nil, err
	}
	pport, err := proc.FreePort()
	for err == nil && pport == port {
		pport, err = proc.FreePort()
	}
	if err != nil {
		return nil, err
	}
	listen := fmt.Sprintf("127.0.0.1:%d", port)
	pprof := fmt.Sprintf("127.0.0.1:%d", pport)
	// --upstream URL lets the executor send every service there (no
	// --upstream-services list: the canned upstream stands for AWS); the
	// same-service check still reads each call as that host would.
	pname := "jitgate-" + name
	p, err := startChild(pname, dir, append(gatewayEnv(), "JITGATE_LOG_LEVEL="+cfg.LogLevel), bin,
		"dev", "--data-dir", dataDir, "--listen", listen, "--tls-listen", "",
		"--policy", filepath.Join(cfg.RepoRoot, "policies", "dev.yaml"), "--upstream", upstream, "--pprof", pprof)
	if err != nil {
		return nil, err
	}
	endpoint := "http://" + listen
	if err := waitFor(ctx, "jitgate dev", cfg.StartTimeout, proc.HTTPReady(endpoint+"/readyz"), p); err != nil {
		p.Stop()
		return nil, err
	}
	cfg.Log.Info("profiles", "target", name, "pprof", "http://"+pprof+"/debug/pprof/")
	return &target{name: name, close: p.Stop,
		watch: []watched{{name: pname, kind: KindGateway, pid: p.PID(), requests: "http://" + pprof + "/debug/kafka-requests"}},
		agent: func(ctx context.Context, i int) (Agent, error) {
			creds, err := devEnv(ctx, bin, dataDir, fmt.Sprintf("bench-%d", i))
			if err != nil {
				return Agent{}, fmt.Errorf("%w\n%s", err, p.Tail(30))
			}
			return Agent{Endpoint: endpoint, Creds: creds}, nil
		}}, nil
}

// devEnv runs `jitgate dev env --http` for agent and reads the
// credentials from its exports.
func devEnv(ctx context.Context, bin, dataDir, agent string) (aws.Credentials, error) {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, "dev", "env", "--http", "--data-dir", dataDir, "--agent", agent, "--groups", agentGroup)
	cmd.Env = os.Environ()
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return aws.Credentials{}, fmt.Errorf("jitgate dev env: %w: %s", err, stderr.String())
	}
	vars := map[string]string{}
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		line, ok := strings.CutPrefix(sc.Text(), "export ")
		if !ok {
			continue
		}
		// Each line exports one or more NAME="value" pairs.
		for _, kv := range strings.Fields(line) {
			if k, v, ok := strings.Cut(kv, "="); ok {
				vars[k] = strings.Trim(v, `"`)
			}
		}
	}
	c := aws.Credentials{AccessKeyID: vars["AWS_ACCESS_KEY_ID"], SecretAccessKey: vars["AWS_SECRET_ACCESS_KEY"], SessionToken: vars["AWS_SESSION_TOKEN"]}
	if c.AccessKeyID == "" || c.SecretAccessKey == "" || c.SessionToken == "" {
		return c, fmt.Errorf("jitgate dev env printed no credentials:\n%s", out)
	}
	return c, nil
}
