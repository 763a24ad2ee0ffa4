package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/urfave/cli/v2"

	"github.com/jitgate/jitgate/decider"
	"github.com/jitgate/jitgate/executor"
	"github.com/jitgate/jitgate/ingress"
	"github.com/jitgate/jitgate/internal/awsemu"
	"github.com/jitgate/jitgate/internal/bus"
	"github.com/jitgate/jitgate/internal/devcert"
	"github.com/jitgate/jitgate/internal/devissuer"
	"github.com/jitgate/jitgate/internal/session"
	"github.com/jitgate/jitgate/internal/sts"
	"github.com/jitgate/jitgate/masker"
	"github.com/jitgate/jitgate/recorder"
)

// Dev-mode constants. The dev issuer and the emulator's credentials exist
// only inside `jitgate dev`.
const (
	devAudience   = "jitgate-dev"
	devIssuerPath = "/dev/oidc"
	devRegion     = "us-east-1"
	devRoleARN    = "arn:aws:iam::000000000000:role/jitgate-dev-agent"
	// devAllowedRoles lets dev agents name any role of the emulator's
	// account (000000000000), and nothing else.
	devAllowedRoles = "arn:aws:iam::000000000000:role/*"
)

// devState is what a running `jitgate dev` tells `jitgate dev env|token`
// through its data directory.
type devState struct {
	Endpoint      string `json:"endpoint"`
	HTTPSEndpoint string `json:"https_endpoint"`
	CABundle      string `json:"ca_bundle"`
	Issuer        string `json:"issuer"`
	Audience      string `json:"audience"`
	Kafka         string `json:"kafka"`
	Region        string `json:"region"`
}

func defaultDevDir() string {
	if d := os.Getenv("XDG_STATE_HOME"); d != "" {
		return filepath.Join(d, "jitgate", "dev")
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return ".jitgate-dev"
	}
	return filepath.Join(home, ".local", "state", "jitgate", "dev")
}

func devDirFlag() cli.Flag {
	return &cli.StringFlag{Name: "data-dir", Value: defaultDevDir(), Usage: "where dev keeps its broker log, keys and certificate", EnvVars: []string{"JITGATE_DEV_DIR"}}
}

func devCommand() *cli.Command {
	return &cli.Command{
		Name:  "dev",
		Usage: "run every role in one process on an embedded Kafka-protocol broker, with a dev OIDC issuer and an AWS emulator",
		Flags: append([]cli.Flag{
			devDirFlag(),
			&cli.StringFlag{Name: "listen", Value: "127.0.0.1:8080", Usage: "plain-HTTP address of the ingress", EnvVars: []string{"JITGATE_LISTEN"}},
			&cli.StringFlag{Name: "tls-listen", Value: "127.0.0.1:8443", Usage: "HTTPS address of the ingress (dev certificate; empty disables)", EnvVars: []string{"JITGATE_TLS_LISTEN"}},
			&cli.IntFlag{Name: "kafka-port", Value: 0, Usage: "port of the embedded broker (0: any free port)", EnvVars: []string{"JITGATE_DEV_KAFKA_PORT"}},
			&cli.StringFlag{Name: "policy", Value: "policies/dev.yaml", Usage: "policy file", EnvVars: []string{"JITGATE_POLICY"}},
			&cli.StringFlag{Name: "masking-rules", Usage: "masking rules file", EnvVars: []string{"JITGATE_MASKING_RULES"}},
			maskingHashKeyFlag(),
			&cli.StringFlag{Name: "upstream", Value: "emulator", Usage: "emulator (in-process AWS emulator), aws (real AWS, default credential chain), or a base URL", EnvVars: []string{"JITGATE_DEV_UPSTREAM"}},
			&cli.DurationFlag{Name: "wait", Value: 30 * time.Second, Usage: "how long an agent's call waits for its outcome", EnvVars: []string{"JITGATE_WAIT"}},
			&cli.StringFlag{Name: "clickhouse", Usage: "ClickHouse native address for the recorder (none: events stay in Kafka only)", EnvVars: []string{"JITGATE_CLICKHOUSE"}},
			pprofFlag(), doorLogQueueFlag(), untrustedRefusalRateFlag(),
			&cli.StringSliceFlag{Name: "allowed-roles", Value: cli.NewStringSlice(devAllowedRoles), Usage: "roles agents may name and the executor may assume (ARN globs, or GROUP=ARN-GLOB)", EnvVars: []string{"JITGATE_ALLOWED_ROLES"}},
		}, webhookFlags()...),
		Action: runDev,
		Subcommands: []*cli.Command{
			{
				Name: "env", Usage: "print shell exports that point stock AWS clients at the running dev gateway",
				Flags: []cli.Flag{devDirFlag(),
					&cli.StringFlag{Name: "agent", Value: "agent-1", Usage: "the agent's OIDC subject"},
					&cli.StringFlag{Name: "groups", Value: "sandbox", Usage: "the agent's groups, comma-separated"},
					&cli.BoolFlag{Name: "http", Usage: "use the plain-HTTP endpoint instead of HTTPS"},
				},
				Action: runDevEnv,
			},
			{
				Name: "token", Usage: "print a dev OIDC token for any principal (agents and approvers)",
				Flags: []cli.Flag{devDirFlag(),
					&cli.StringFlag{Name: "sub", Required: true, Usage: "subject"},
					&cli.StringFlag{Name: "groups", Usage: "groups, comma-separated"},
					&cli.DurationFlag{Name: "ttl", Value: time.Hour, Usage: "lifetime"},
				},
				Action: func(c *cli.Context) error {
					tok, _, err := devToken(c.String("data-dir"), c.String("sub"), c.String("groups"), c.Duration("ttl"))
					if err != nil {
						return err
					}
					fmt.Fprintln(c.App.Writer, tok)
					return nil
				},
			},
		},
	}
}

func splitList(s string) []string {
	var out []string
	for _, g := range strings.Split(s, ",") {
		if g = strings.TrimSpace(g); g != "" {
			out = append(out, g)
		}
	}
	return out
}

// devKey returns the key stored at path, creating it on first use.
func devKey(path string) ([]byte, error) {
	if keys, err := session.ReadKeyFile(path); err == nil {
		return keys[0], nil
	} else if !errors.Is(err, os.ErrNotExist) {
		return nil, err
	}
	k := session.GenerateKey()
	return k, os.WriteFile(path, []byte(session.EncodeKey(k)+"\n"), 0o600)
}

func runDev(c *cli.Context) error {
	log := logger(c)
	if err := startPprof(c); err != nil {
		return err
	}
	dir := c.String("data-dir")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	if _, err := os.Stat(c.String("policy")); err != nil {
		return fmt.Errorf("policy %s: %w (run from the repository root, or pass --policy)", c.String("policy"), err)
	}
	broker, err := bus.StartEmbedded(c.Int("kafka-port"), filepath.Join(dir, "kafka"))
	if err != nil {
		return err
	}
	defer broker.Close()
	log.Info("embedded Kafka-protocol broker (dev only)", "addr", broker.String(), "data", filepath.Join(dir, "kafka"))
	sessionKey, err := devKey(filepath.Join(dir, "session.key"))
	if err != nil {
		return err
	}
	decisionKey, err := devKey(filepath.Join(dir, "decision.key"))
	if err != nil {
		return err
	}
	holdsKey, err := devKey(filepath.Join(dir, "holds.key"))
	if err != nil {
		return err
	}
	bcfg := bus.Config{Brokers: broker.Addrs(), Partitions: 3, Replication: 1, ClientID: "jitgate-dev", Logger: log}

	plain, err := net.Listen("tcp", c.String("listen"))
	if err != nil {
		return fmt.Errorf("listen on %s: %w (is another jitgate dev running? pass --listen)", c.String("listen"), err)
	}
	issuerURL := "http://" + plain.Addr().String() + devIssuerPath
	issuer, err := devissuer.New(issuerURL, devissuer.WithKeyFile(filepath.Join(dir, "oidc-key.pem")))
	if err != nil {
		return err
	}
	st := devState{Endpoint: "http://" + plain.Addr().String(), Issuer: issuerURL, Audience: devAudience, Kafka: broker.String(), Region: devRegion}
	var lis ingress.Listener
	lis.Plain = plain
	icfg := ingress.Config{Bus: bcfg, Listen: plain.Addr().String(), Replica: "dev-ingress", Wait: c.Duration("wait"),
		DoorLogQueue: c.Int("door-log-queue"), UntrustedRefusalRate: c.Int("untrusted-refusal-rate")}
	if tl := c.String("tls-listen"); tl != "" {
		certFile, keyFile, err := devcert.Ensure(dir)
		if err != nil {
			return err
		}
		if lis.TLS, err = net.Listen("tcp", tl); err != nil {
			return fmt.Errorf("listen on %s: %w (pass --tls-listen '' to disable HTTPS)", tl, err)
		}
		icfg.TLSListen, icfg.TLSCert, icfg.TLSKey = lis.TLS.Addr().String(), certFile, keyFile
		st.HTTPSEndpoint, st.CABundle = "https://"+lis.TLS.Addr().String(), certFile
	}
	allowed, err := allowedRoles(c)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithCancel(c.Context)
	defer cancel()
	g, pub, err := buildIngress(ctx, ingressSetup{
		cfg: icfg, sessionKeys: [][]byte{sessionKey}, holdsKey: holdsKey, log: log, allowedRoles: allowed,
		issuers: []sts.IssuerConfig{{URL: issuerURL, Audience: devAudience}},
		mounts:  map[string]http.Handler{devIssuerPath + "/": http.StripPrefix(devIssuerPath, issuer)},
	})
	if err != nil {
		return err
	}
	defer pub.Close()
	hook, err := webhookConfig(c)
	if err != nil {
		return err
	}
	d, dpub, err := buildDecider(ctx, decider.Config{Bus: bcfg, Instance: "dev-decider", PolicyFile: c.String("policy"), DecisionKey: decisionKey, HoldsKey: holdsKey, Webhook: hook}, log)
	if err != nil {
		return err
	}
	defer dpub.Close()
	k, err := buildMasker(masker.Config{Bus: bcfg, Instance: "dev-masker", RulesFile: c.String("masking-rules"), HashKey: []byte(c.String("masking-hash-key"))}, log)
	if err != nil {
		return err
	}
	creds, upstream, closeUpstream, err := devUpstream(ctx, c.String("upstream"), log)
	if err != nil {
		return err
	}
	defer closeUpstream()
	ecfg := executor.Config{Bus: bcfg, Instance: "dev-executor", DecisionKey: decisionKey, MaxWait: c.Duration("wait"), Upstream: upstream, AllowedRoles: allowed}
	if c.String("upstream") == "emulator" {
		// The emulator serves every service on one host: send it only
		// what it implements.
		ecfg.UpstreamServices = awsemu.Services()
	}
	e, err := buildExecutor(ctx, ecfg, creds, c)
	if err != nil {
		return err
	}
	roles := map[string]func(context.Context) error{
		"ingress":  func(ctx context.Context) error { return g.Run(ctx, lis) },
		"decider":  d.Run,
		"masker":   k.Run,
		"executor": e.Run,
	}
	if ch := c.String("clickhouse"); ch != "" {
		r, err := recorder.New(recorder.Config{Bus: bcfg, Instance: "dev-recorder", ClickHouse: ch, BodyCap: recorder.DefaultBodyCap}, recorder.Deps{Logger: log})
		if err != nil {
			return err
		}
		roles["recorder"] = r.Run
	} else {
		log.Warn("recorder off: no ClickHouse configured (--clickhouse or JITGATE_CLICKHOUSE); events stay in Kafka only")
	}
	if err := writeDevState(dir, st); err != nil {
		return err
	}
	fmt.Fprintf(c.App.ErrWriter, "\njitgate dev is up: %s", st.Endpoint)
	if st.HTTPSEndpoint != "" {
		fmt.Fprintf(c.App.ErrWriter, " and %s", st.HTTPSEndpoint)
	}
	fmt.Fprintf(c.App.ErrWriter, "\nIn another shell:  eval \"$(%s dev env --agent bot-1 --groups sandbox)\"  then  aws s3 ls\n\n", os.Args[0])
	return runAll(ctx, cancel, log, roles)
}

// runAll runs every role until ctx ends or one fails; a failing role stops
// the rest.
func runAll(ctx context.Context, cancel context.CancelFunc, log *slog.Logger, roles map[string]func(context.Context) error) error {
	var (
		wg       sync.WaitGroup
		mu       sync.Mutex
		firstErr error
	)
	for name, run := range roles {
		wg.Add(1)
		go func() {
			defer wg.Done()
			err := run(ctx)
			if err != nil && ctx.Err() == nil {
				log.Error("role stopped", "role", name, "err", err)
				mu.Lock()
				if firstErr == nil {
					firstErr = fmt.Errorf("%s: %w", name, err)
				}
				mu.Unlock()
			}
			cancel()
		}()
	}
	wg.Wait()
	return firstErr
}

// devUpstream picks where dev sends approved calls.
func devUpstream(ctx context.Context, upstream string, log *slog.Logger) (aws.CredentialsProvider, string, func(), error) {
	switch upstream {
	case "aws":
		cfg, err := config.LoadDefaultConfig(ctx)
		if err != nil {
			return nil, "", nil, fmt.Errorf("--upstream aws needs AWS credentials (default chain): %w", err)
		}
		log.Warn("upstream is REAL AWS: allowed calls run with the credentials of the default chain")
		return cfg.Credentials, "", func() {}, nil
	case "emulator", "":
		creds := aws.Credentials{AccessKeyID: "AKIAJITGATEDEVGATEWAY", SecretAccessKey: "jitgate-dev-gateway-secret-not-for-production"}
		emu, err := awsemu.Start(creds, 0)
		if err != nil {
			return nil, "", nil, err
		}
		log.Info("upstream is the in-process AWS emulator; it accepts only the gateway's signature", "url", emu.URL)
		return credentials.StaticCredentialsProvider{Value: creds}, emu.URL, emu.Close, nil
	default:
		log.Warn("upstream is a custom base URL; calls are signed with the default credential chain", "url", upstream)
		cfg, err := config.LoadDefaultConfig(ctx)
		if err != nil {
			return nil, "", nil, err
		}
		return cfg.Credentials, upstream, func() {}, nil
	}
}

func writeDevState(dir string, st devState) error {
	raw, err := json.MarshalIndent(st, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, "dev.json"), raw, 0o600)
}

func readDevState(dir string) (devState, error) {
	var st devState
	raw, err := os.ReadFile(filepath.Join(dir, "dev.json"))
	if err != nil {
		return st, fmt.Errorf("no running jitgate dev found in %s (start it with `make dev` or `jitgate dev`): %w", dir, err)
	}
	return st, json.Unmarshal(raw, &st)
}

// devToken mints a token with the dev issuer's key.
func devToken(dir, sub, groups string, ttl time.Duration) (string, devState, error) {
	st, err := readDevState(dir)
	if err != nil {
		return "", st, err
	}
	iss, err := devissuer.New(st.Issuer, devissuer.WithKeyFile(filepath.Join(dir, "oidc-key.pem")))
	if err != nil {
		return "", st, err
	}
	tok, err := iss.Mint(sub, splitList(groups), st.Audience, ttl)
	return tok, st, err
}
