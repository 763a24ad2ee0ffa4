package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/jitgate/jitgate/decider"
	"github.com/jitgate/jitgate/ingress"
	"github.com/jitgate/jitgate/internal/awsmodel"
	"github.com/jitgate/jitgate/internal/bus"
	"github.com/jitgate/jitgate/internal/notify"
	"github.com/jitgate/jitgate/internal/rolelist"
	"github.com/jitgate/jitgate/internal/session"
	"github.com/jitgate/jitgate/internal/sts"
	"github.com/jitgate/jitgate/masker"
	"github.com/jitgate/jitgate/recorder"
)

func roleCommand(name, usage string, flags []cli.Flag, action cli.ActionFunc) *cli.Command {
	return &cli.Command{Name: name, Usage: usage, Flags: append(append(append(kafkaFlags(), pprofFlag()), gcFlags()...), flags...),
		Action: func(c *cli.Context) error {
			if err := applyGC(c); err != nil {
				return err
			}
			if err := startPprof(c); err != nil {
				return err
			}
			return action(c)
		}}
}

func ingressFlags() []cli.Flag {
	return []cli.Flag{
		replicaFlag(), holdsKeyFlag(),
		&cli.StringFlag{Name: "listen", Value: "127.0.0.1:8080", Usage: "plain-HTTP address (loopback or trusted networks only; empty disables)", EnvVars: []string{"JITGATE_LISTEN"}},
		&cli.StringFlag{Name: "tls-listen", Usage: "HTTPS address", EnvVars: []string{"JITGATE_TLS_LISTEN"}},
		&cli.StringFlag{Name: "tls-cert", Usage: "HTTPS certificate file (PEM)", EnvVars: []string{"JITGATE_TLS_CERT"}},
		&cli.StringFlag{Name: "tls-key", Usage: "HTTPS key file (PEM)", EnvVars: []string{"JITGATE_TLS_KEY"}},
		&cli.DurationFlag{Name: "wait", Value: 30 * time.Second, Usage: "how long an agent's call waits for its outcome", EnvVars: []string{"JITGATE_WAIT"}},
		&cli.Int64Flag{Name: "max-body", Value: ingress.DefaultMaxBody, Usage: "largest request body accepted once the session token opened, in bytes (before that, none is read); S3 uploads stream through fixed memory", EnvVars: []string{"JITGATE_MAX_BODY"}},
		&cli.Int64Flag{Name: "max-parsed-body", Value: ingress.DefaultMaxParsedBody, Usage: "largest body the ingress holds whole (parameters in JSON, XML, CBOR or a form, or a SHA-256 not declared in X-Amz-Content-Sha256), in bytes", EnvVars: []string{"JITGATE_MAX_PARSED_BODY"}},
		&cli.IntFlag{Name: "max-header-bytes", Value: ingress.DefaultMaxHeaderBytes, Usage: "largest request line and headers, in bytes", EnvVars: []string{"JITGATE_MAX_HEADER_BYTES"}},
		&cli.DurationFlag{Name: "read-header-timeout", Value: ingress.DefaultReadHeaderTimeout, Usage: "time allowed to send the request headers", EnvVars: []string{"JITGATE_READ_HEADER_TIMEOUT"}},
		&cli.DurationFlag{Name: "idle-timeout", Value: ingress.DefaultIdleTimeout, Usage: "keep-alive connections idle this long are closed", EnvVars: []string{"JITGATE_IDLE_TIMEOUT"}},
		&cli.DurationFlag{Name: "body-idle-timeout", Value: ingress.DefaultBodyIdleTimeout, Usage: "a request body that stalls this long is cut off", EnvVars: []string{"JITGATE_BODY_IDLE_TIMEOUT"}},
		&cli.Int64Flag{Name: "body-min-rate", Value: ingress.DefaultBodyMinRate, Usage: "bytes per second a request body must average after --body-grace", EnvVars: []string{"JITGATE_BODY_MIN_RATE"}},
		&cli.DurationFlag{Name: "body-grace", Value: ingress.DefaultBodyGrace, Usage: "time before --body-min-rate applies", EnvVars: []string{"JITGATE_BODY_GRACE"}},
		&cli.IntFlag{Name: "max-in-flight", Value: ingress.DefaultMaxInFlight, Usage: "calls this replica serves at once; more get the protocol's throttling error", EnvVars: []string{"JITGATE_MAX_IN_FLIGHT"}},
		&cli.IntFlag{Name: "max-in-flight-per-principal", Value: ingress.DefaultMaxInFlightPerPrincipal, Usage: "calls one principal may have in flight at once", EnvVars: []string{"JITGATE_MAX_IN_FLIGHT_PER_PRINCIPAL"}},
		doorLogQueueFlag(), untrustedRefusalRateFlag(),
		&cli.DurationFlag{Name: "replay-lookback", Value: ingress.DefaultReplayLookback, Usage: "how far back a starting replica reads the signatures other replicas accepted (cover the session lifetime)", EnvVars: []string{"JITGATE_REPLAY_LOOKBACK"}},
		&cli.StringFlag{Name: "session-keys", Usage: "hex keys sealing agent sessions, first seals, all open (rotation); or @FILE", EnvVars: []string{"JITGATE_SESSION_KEYS"}},
		&cli.StringSliceFlag{Name: "oidc-issuer", Usage: "trusted OIDC issuer URL (repeatable)", EnvVars: []string{"JITGATE_OIDC_ISSUER"}},
		&cli.StringFlag{Name: "oidc-audience", Value: "jitgate", Usage: "audience (client id) agent tokens must carry", EnvVars: []string{"JITGATE_OIDC_AUDIENCE"}},
		&cli.StringFlag{Name: "oidc-groups-claim", Value: "groups", Usage: "claim holding the principal's groups (a JSON list of strings)", EnvVars: []string{"JITGATE_OIDC_GROUPS_CLAIM"}},
		&cli.StringFlag{Name: "oidc-groups-separator", Usage: "also accept the groups claim as one string split on this separator (e.g. \",\"); empty refuses string claims", EnvVars: []string{"JITGATE_OIDC_GROUPS_SEPARATOR"}},
		&cli.BoolFlag{Name: "session-beyond-token", Usage: "let sessions outlive the OIDC token they were exchanged for (up to DurationSeconds); default: a session ends with its token", EnvVars: []string{"JITGATE_SESSION_BEYOND_TOKEN"}},
		allowedRolesFlag("RoleArns agents may name in AssumeRoleWithWebIdentity"),
	}
}

// doorLogQueueFlag is --door-log-queue, shared by the ingress and `jitgate dev`.
func doorLogQueueFlag() cli.Flag {
	return &cli.IntFlag{Name: "door-log-queue", Value: ingress.DefaultDoorLogQueue,
		Usage:   "events of answers at the door (refusals, their security records, credential exchanges) waiting to be published to Kafka; beyond it they are dropped, counted and logged",
		EnvVars: []string{"JITGATE_DOOR_LOG_QUEUE"}}
}

// untrustedRefusalRateFlag is --untrusted-refusal-rate, shared by the
// ingress and `jitgate dev`.
func untrustedRefusalRateFlag() cli.Flag {
	return &cli.IntFlag{Name: "untrusted-refusal-rate", Value: ingress.DefaultUntrustedRefusalRate,
		Usage:   "calls a second of callers that did not prove their secret (bad signatures or tokens, unsigned junk, replays) whose refusals are recorded; beyond it they are dropped and counted",
		EnvVars: []string{"JITGATE_UNTRUSTED_REFUSAL_RATE"}}
}

// allowedRolesFlag is --allowed-roles, shared by the ingress and the executor
// so one JITGATE_ALLOWED_ROLES serves both.
func allowedRolesFlag(what string) cli.Flag {
	return &cli.StringSliceFlag{Name: "allowed-roles",
		Usage:   what + ": IAM role ARN globs (arn:aws:iam::123456789012:role/ci-*), or GROUP=ARN-GLOB for members of an OIDC group; repeatable or comma-separated; none allows no role",
		EnvVars: []string{"JITGATE_ALLOWED_ROLES"}}
}

// allowedRoles parses --allowed-roles.
func allowedRoles(c *cli.Context) (rolelist.List, error) {
	l, err := rolelist.Parse(c.StringSlice("allowed-roles")...)
	if err != nil {
		return l, fmt.Errorf("--allowed-roles: %w", err)
	}
	return l, nil
}

func ingressCommand() *cli.Command {
	return roleCommand("ingress", "serve agents: STS, SigV4 verification, publish requests, answer", ingressFlags(), func(c *cli.Context) error {
		bcfg, err := busConfig(c, "ingress")
		if err != nil {
			return err
		}
		if c.String("session-keys") == "" {
			return errors.New("no session keys: pass --session-keys (hex, or @FILE) or set JITGATE_SESSION_KEYS; generate one with `openssl rand -hex 32`")
		}
		keys, err := readKeys(c.String("session-keys"))
		if err != nil {
			return fmt.Errorf("--session-keys: %w", err)
		}
		hk, err := holdsKey(c)
		if err != nil {
			return err
		}
		var issuers []sts.IssuerConfig
		for _, u := range c.StringSlice("oidc-issuer") {
			issuers = append(issuers, sts.IssuerConfig{URL: u, Audience: c.String("oidc-audience"),
				GroupsClaim: c.String("oidc-groups-claim"), GroupsSeparator: c.String("oidc-groups-separator")})
		}
		roles, err := allowedRoles(c)
		if err != nil {
			return err
		}
		if len(issuers) == 0 {
			return errors.New("no trusted OIDC issuer: pass --oidc-issuer URL (your IdP, https://token.actions.githubusercontent.com, or a Kubernetes cluster's issuer)")
		}
		g, pub, err := buildIngress(c.Context, ingressSetup{
			cfg: ingress.Config{Bus: bcfg, Listen: c.String("listen"), TLSListen: c.String("tls-listen"), TLSCert: c.String("tls-cert"),
				TLSKey: c.String("tls-key"), Replica: c.String("instance"), Wait: c.Duration("wait"), MaxBody: c.Int64("max-body"), MaxParsedBody: c.Int64("max-parsed-body"),
				MaxHeaderBytes: c.Int("max-header-bytes"), ReadHeaderTimeout: c.Duration("read-header-timeout"), IdleTimeout: c.Duration("idle-timeout"),
				BodyIdleTimeout: c.Duration("body-idle-timeout"), BodyMinRate: c.Int64("body-min-rate"), BodyGrace: c.Duration("body-grace"),
				MaxInFlight: c.Int("max-in-flight"), MaxInFlightPerPrincipal: c.Int("max-in-flight-per-principal"), ReplayLookback: c.Duration("replay-lookback"),
				DoorLogQueue: c.Int("door-log-queue"), UntrustedRefusalRate: c.Int("untrusted-refusal-rate")},
			sessionKeys: keys, holdsKey: hk, issuers: issuers, log: logger(c),
			allowedRoles: roles, sessionBeyondToken: c.Bool("session-beyond-token"),
		})
		if err != nil {
			return err
		}
		defer pub.Close()
		return g.Run(c.Context, ingress.Listener{})
	})
}

// ingressSetup is what buildIngress wires; `jitgate dev` fills it itself.
type ingressSetup struct {
	cfg                ingress.Config
	sessionKeys        [][]byte
	holdsKey           []byte
	issuers            []sts.IssuerConfig
	allowedRoles       rolelist.List
	sessionBeyondToken bool
	mounts             map[string]http.Handler
	log                *slog.Logger
}

func buildIngress(ctx context.Context, s ingressSetup) (*ingress.Ingress, *bus.Publisher, error) {
	sealer, err := session.NewSealer(s.sessionKeys...)
	if err != nil {
		return nil, nil, err
	}
	models, err := awsmodel.Load()
	if err != nil {
		return nil, nil, err
	}
	if err := bus.EnsureTopics(ctx, s.cfg.Bus); err != nil {
		return nil, nil, err
	}
	pub, err := bus.NewPublisher(s.cfg.Bus)
	if err != nil {
		return nil, nil, err
	}
	if s.allowedRoles.Empty() {
		s.log.Warn("no --allowed-roles: every AssumeRoleWithWebIdentity will be refused until you list the roles agents may name")
	}
	stsSvc, err := sts.New(ctx, sts.Config{Issuers: s.issuers, Sealer: sealer, AllowedRoles: s.allowedRoles,
		SessionBeyondToken: s.sessionBeyondToken})
	if err != nil {
		pub.Close()
		return nil, nil, err
	}
	g, err := ingress.New(s.cfg, ingress.Deps{STS: stsSvc, Auth: stsSvc, Sealer: sealer, Models: models, Publisher: pub,
		Brokers: pub.WatchReachability(ctx, s.log), Logger: s.log, Mounts: s.mounts, HoldsKey: s.holdsKey})
	if err != nil {
		pub.Close()
		return nil, nil, err
	}
	return g, pub, nil
}

func deciderFlags() []cli.Flag {
	flags := []cli.Flag{
		instanceFlag("decider"), decisionKeyFlag(), holdsKeyFlag(),
		&cli.StringFlag{Name: "policy", Usage: "policy file (YAML, see docs/policy.md)", EnvVars: []string{"JITGATE_POLICY"}},
		&cli.DurationFlag{Name: "reload-every", Value: 2 * time.Second, Usage: "how often the policy file is checked for changes", EnvVars: []string{"JITGATE_RELOAD_EVERY"}},
	}
	return append(flags, webhookFlags()...)
}

func webhookFlags() []cli.Flag {
	return []cli.Flag{
		&cli.StringFlag{Name: "webhook-url", Usage: "POST a notification here when a hold opens or ends", EnvVars: []string{"JITGATE_WEBHOOK_URL"}},
		&cli.StringFlag{Name: "webhook-secret", Usage: "HMAC key signing webhook deliveries (X-Jitgate-Signature); or @FILE", EnvVars: []string{"JITGATE_WEBHOOK_SECRET"}},
		&cli.StringFlag{Name: "webhook-format", Value: "json", Usage: "json, or slack (Slack incoming-webhook body)", EnvVars: []string{"JITGATE_WEBHOOK_FORMAT"}},
		&cli.StringFlag{Name: "public-url", Usage: "the gateway URL approvers use, shown in notifications", EnvVars: []string{"JITGATE_PUBLIC_URL"}},
	}
}

// webhookConfig reads the webhook flags; an empty URL turns notifications off.
func webhookConfig(c *cli.Context) (notify.Config, error) {
	cfg := notify.Config{URL: c.String("webhook-url"), Format: notify.Format(c.String("webhook-format")), PublicURL: c.String("public-url")}
	if cfg.URL == "" {
		return cfg, nil
	}
	secret := c.String("webhook-secret")
	if path, ok := strings.CutPrefix(secret, "@"); ok {
		raw, err := os.ReadFile(path)
		if err != nil {
			return cfg, fmt.Errorf("--webhook-secret: %w", err)
		}
		secret = strings.TrimSpace(string(raw))
	}
	if secret == "" {
		return cfg, errors.New("--webhook-url needs --webhook-secret so receivers can verify deliveries")
	}
	cfg.Secret = []byte(secret)
	return cfg, cfg.Validate()
}

func deciderCommand() *cli.Command {
	return roleCommand("decider", "judge requests against the policy (allow, deny, hold)", deciderFlags(), func(c *cli.Context) error {
		bcfg, err := busConfig(c, "decider")
		if err != nil {
			return err
		}
		key, err := decisionKey(c)
		if err != nil {
			return err
		}
		hk, err := holdsKey(c)
		if err != nil {
			return err
		}
		hook, err := webhookConfig(c)
		if err != nil {
			return err
		}
		d, pub, err := buildDecider(c.Context, decider.Config{Bus: bcfg, Instance: c.String("instance"), PolicyFile: c.String("policy"),
			DecisionKey: key, HoldsKey: hk, ReloadEvery: c.Duration("reload-every"), Webhook: hook}, logger(c))
		if err != nil {
			return err
		}
		defer pub.Close()
		return d.Run(c.Context)
	})
}

func buildDecider(ctx context.Context, cfg decider.Config, log *slog.Logger) (*decider.Decider, *bus.Publisher, error) {
	if err := bus.EnsureTopics(ctx, cfg.Bus); err != nil {
		return nil, nil, err
	}
	pub, err := bus.NewPublisher(cfg.Bus)
	if err != nil {
		return nil, nil, err
	}
	d, err := decider.New(cfg, decider.Deps{Publisher: pub, Logger: log})
	if err != nil {
		pub.Close()
		return nil, nil, err
	}
	reloadOnHUP(ctx, d)
	return d, pub, nil
}

// reloadOnHUP reloads the policy on SIGHUP; a bad file keeps the old one.
func reloadOnHUP(ctx context.Context, d *decider.Decider) {
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	go func() {
		defer signal.Stop(hup)
		for {
			select {
			case <-ctx.Done():
				return
			case <-hup:
				_ = d.Reload() // the decider logs a rejected file
			}
		}
	}()
}

func maskerFlags() []cli.Flag {
	return []cli.Flag{
		instanceFlag("masker"),
		&cli.StringFlag{Name: "masking-rules", Usage: "masking rules file (YAML, see docs/masking.md); built-in credential rules always apply", EnvVars: []string{"JITGATE_MASKING_RULES"}},
		maskingHashKeyFlag(),
	}
}

// maskingHashKeyFlag is the key of masking rules that replace values by a
// keyed hash (docs/masking.md).
func maskingHashKeyFlag() cli.Flag {
	return &cli.StringFlag{Name: "masking-hash-key", Usage: "HMAC key (at least 16 bytes) for masking rules with replace mode hash", EnvVars: []string{"JITGATE_MASKING_HASH_KEY"}}
}

func maskerCommand() *cli.Command {
	return roleCommand("masker", "redact responses before agents see them", maskerFlags(), func(c *cli.Context) error {
		bcfg, err := busConfig(c, "masker")
		if err != nil {
			return err
		}
		if err := bus.EnsureTopics(c.Context, bcfg); err != nil {
			return err
		}
		k, err := buildMasker(masker.Config{Bus: bcfg, Instance: c.String("instance"), RulesFile: c.String("masking-rules"),
			HashKey: []byte(c.String("masking-hash-key"))}, logger(c))
		if err != nil {
			return err
		}
		return k.Run(c.Context)
	})
}

func recorderFlags() []cli.Flag {
	return append(clickhouseFlags(), instanceFlag("recorder"),
		&cli.IntFlag{Name: "body-cap", Value: recorder.DefaultBodyCap, Usage: "bytes of each masked body kept in ClickHouse (0: none)", EnvVars: []string{"JITGATE_BODY_CAP"}},
	)
}

func clickhouseFlags() []cli.Flag {
	return []cli.Flag{
		&cli.StringFlag{Name: "clickhouse", Usage: "ClickHouse native-protocol address (host:port)", EnvVars: []string{"JITGATE_CLICKHOUSE"}},
		&cli.StringFlag{Name: "clickhouse-db", Value: "jitgate", Usage: "ClickHouse database", EnvVars: []string{"JITGATE_CLICKHOUSE_DB"}},
		&cli.StringFlag{Name: "clickhouse-user", Value: "default", Usage: "ClickHouse user", EnvVars: []string{"JITGATE_CLICKHOUSE_USER"}},
		&cli.StringFlag{Name: "clickhouse-password", Usage: "ClickHouse password", EnvVars: []string{"JITGATE_CLICKHOUSE_PASSWORD"}},
	}
}

func recorderCommand() *cli.Command {
	return roleCommand("recorder", "write every event to ClickHouse", recorderFlags(), func(c *cli.Context) error {
		bcfg, err := busConfig(c, "recorder")
		if err != nil {
			return err
		}
		if strings.TrimSpace(c.String("clickhouse")) == "" {
			return errors.New("no ClickHouse: pass --clickhouse host:9000 or set JITGATE_CLICKHOUSE")
		}
		if err := bus.EnsureTopics(c.Context, bcfg); err != nil {
			return err
		}
		r, err := recorder.New(recorderConfig(c, bcfg), recorder.Deps{Logger: logger(c)})
		if err != nil {
			return err
		}
		return r.Run(c.Context)
	})
}

func recorderConfig(c *cli.Context, bcfg bus.Config) recorder.Config {
	return recorder.Config{Bus: bcfg, Instance: c.String("instance"), ClickHouse: c.String("clickhouse"), Database: c.String("clickhouse-db"),
		Username: c.String("clickhouse-user"), Password: c.String("clickhouse-password"), BodyCap: c.Int("body-cap")}
}

func topicsCommand() *cli.Command {
	return &cli.Command{
		Name: "topics", Usage: "operator: create jitgate's Kafka topics (every role also does this at start)",
		Flags: kafkaFlags(),
		Action: func(c *cli.Context) error {
			bcfg, err := busConfig(c, "operator")
			if err != nil {
				return err
			}
			if err := bus.EnsureTopics(c.Context, bcfg); err != nil {
				return err
			}
			fmt.Fprintf(c.App.Writer, "topics ready under prefix %q on %s\n", bcfg.Prefix, strings.Join(bcfg.Brokers, ","))
			return nil
		},
	}
}

// buildMasker builds a masker that also masks, in every response, the
// members botocore marks sensitive for the call's operation.
func buildMasker(cfg masker.Config, log *slog.Logger) (*masker.Masker, error) {
	models, err := awsmodel.Load()
	if err != nil {
		return nil, err
	}
	return masker.New(cfg, masker.Deps{Logger: log, Sensitive: models.SensitiveOutput})
}
