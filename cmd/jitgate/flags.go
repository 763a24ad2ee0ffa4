package main

import (
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/jitgate/jitgate/internal/bus"
	"github.com/jitgate/jitgate/internal/ids"
	"github.com/jitgate/jitgate/internal/session"
)

func logFlags() []cli.Flag {
	return []cli.Flag{
		&cli.StringFlag{Name: "log-level", Value: "info", Usage: "debug, info, warn or error", EnvVars: []string{"JITGATE_LOG_LEVEL"}},
		&cli.StringFlag{Name: "log-format", Value: "text", Usage: "text or json", EnvVars: []string{"JITGATE_LOG_FORMAT"}},
	}
}

func logger(c *cli.Context) *slog.Logger {
	var lvl slog.Level
	if err := lvl.UnmarshalText([]byte(c.String("log-level"))); err != nil {
		lvl = slog.LevelInfo
	}
	opts := &slog.HandlerOptions{Level: lvl}
	if c.String("log-format") == "json" {
		return slog.New(slog.NewJSONHandler(os.Stderr, opts))
	}
	return slog.New(slog.NewTextHandler(os.Stderr, opts))
}

// kafkaFlags configure the bus for every command that talks to Kafka.
func kafkaFlags() []cli.Flag {
	return []cli.Flag{
		&cli.StringFlag{Name: "kafka", Usage: "Kafka seed brokers, comma-separated (host:port)", EnvVars: []string{"JITGATE_KAFKA"}},
		&cli.StringFlag{Name: "topic-prefix", Value: "jitgate.", Usage: "prefix of every jitgate topic", EnvVars: []string{"JITGATE_TOPIC_PREFIX"}},
		&cli.IntFlag{Name: "partitions", Value: 6, Usage: "partitions of topics jitgate creates", EnvVars: []string{"JITGATE_PARTITIONS"}},
		&cli.IntFlag{Name: "replication", Value: -1, Usage: "replication factor of topics jitgate creates (-1: broker default)", EnvVars: []string{"JITGATE_REPLICATION"}},
		&cli.DurationFlag{Name: "retention", Value: 7 * 24 * time.Hour, Usage: "retention of the event topics", EnvVars: []string{"JITGATE_RETENTION"}},
		&cli.DurationFlag{Name: "raw-retention", Value: time.Hour, Usage: "retention of the executions topic (unmasked responses)", EnvVars: []string{"JITGATE_RAW_RETENTION"}},
		&cli.DurationFlag{Name: "stall-timeout", Value: bus.DefaultStallTimeout, Usage: "a stage whose partitions have records waiting but make no progress this long rebuilds its Kafka client (doubling per stall in a row, up to a minute)", EnvVars: []string{"JITGATE_STALL_TIMEOUT"}},
	}
}

func busConfig(c *cli.Context, role string) (bus.Config, error) {
	var brokers []string
	for _, b := range strings.Split(c.String("kafka"), ",") {
		if b = strings.TrimSpace(b); b != "" {
			brokers = append(brokers, b)
		}
	}
	if len(brokers) == 0 {
		return bus.Config{}, errors.New("no Kafka brokers: pass --kafka host:port or set JITGATE_KAFKA (or run `jitgate dev` for an embedded broker)")
	}
	return bus.Config{
		Brokers:      brokers,
		Prefix:       c.String("topic-prefix"),
		Partitions:   int32(c.Int("partitions")),
		Replication:  int16(c.Int("replication")),
		Retention:    c.Duration("retention"),
		RawRetention: c.Duration("raw-retention"),
		StallTimeout: c.Duration("stall-timeout"),
		ClientID:     "jitgate-" + role,
		// franz-go's own log lines (group, transaction and connection
		// events): warn, or everything with --log-level debug.
		Logger: logger(c).With("role", role),
	}, nil
}

// instanceFlag is --instance for the stages that are consumer-group
// members (decider, executor, masker, recorder). It is the process's stable
// identity: its static group membership and, for the transactional stages,
// its transactional id. The default,
// ROLE-HOSTNAME, survives a restart on the same host, so a restarted stage
// takes over its partitions at once and fences its dead predecessor; in
// Kubernetes set it from the pod name (a StatefulSet's names are stable;
// a Deployment's hostname is the pod name). Two live processes with the
// same instance fence each other: the older one exits with an error.
func instanceFlag(role string) cli.Flag {
	return &cli.StringFlag{Name: "instance", Usage: "stable name of this " + role + " among the " + role + "s, kept across restarts " +
		"(its static consumer-group identity and, for the decider and executor, its transactional id; set it from the pod name; never give two live processes the same one)",
		EnvVars: []string{"JITGATE_INSTANCE"}, Value: stableInstance(role)}
}

// stableInstance is ROLE-HOSTNAME.
func stableInstance(role string) string {
	host, err := os.Hostname()
	if err != nil || host == "" {
		host = "host"
	}
	return role + "-" + host
}

// replicaFlag is --instance for the ingress, which is no group member: it
// names the replica that replies are addressed to, so the default adds the
// process id and two ingresses on one host never share it.
func replicaFlag() cli.Flag {
	return &cli.StringFlag{Name: "instance", Usage: "unique name of this process among the ingresses (default: ingress-host-pid)",
		EnvVars: []string{"JITGATE_INSTANCE"}, Value: ids.Replica("ingress")}
}

func decisionKeyFlag() cli.Flag {
	return &cli.StringFlag{Name: "decision-key", Usage: "hex key (>= 16 bytes) deciders seal decisions with and executors verify; or @FILE",
		EnvVars: []string{"JITGATE_DECISION_KEY"}}
}

func holdsKeyFlag() cli.Flag {
	return &cli.StringFlag{Name: "holds-key", Usage: "hex key (>= 16 bytes) deciders and ingresses seal and verify the holds and grants topics with; or @FILE",
		EnvVars: []string{"JITGATE_HOLDS_KEY"}}
}

// decisionKey reads --decision-key: hex, or @path to a file holding hex.
func decisionKey(c *cli.Context) ([]byte, error) {
	return oneKey(c, "decision-key", "JITGATE_DECISION_KEY")
}

// holdsKey reads --holds-key: hex, or @path to a file holding hex.
func holdsKey(c *cli.Context) ([]byte, error) { return oneKey(c, "holds-key", "JITGATE_HOLDS_KEY") }

func oneKey(c *cli.Context, flag, env string) ([]byte, error) {
	v := c.String(flag)
	if v == "" {
		return nil, fmt.Errorf("no %s: pass --%s (hex, or @FILE) or set %s; generate one with `openssl rand -hex 32`", strings.ReplaceAll(flag, "-", " "), flag, env)
	}
	keys, err := readKeys(v)
	if err != nil {
		return nil, fmt.Errorf("--%s: %w", flag, err)
	}
	return keys[0], nil
}

// readKeys parses keys given inline or as @FILE.
func readKeys(v string) ([][]byte, error) {
	if path, ok := strings.CutPrefix(v, "@"); ok {
		return session.ReadKeyFile(path)
	}
	return session.ParseKeys(v)
}
