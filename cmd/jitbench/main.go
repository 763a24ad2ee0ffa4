// Command jitbench measures what jitgate adds to an AWS call: it drives
// aws-sdk-go-v2 clients (small DynamoDB, S3 and STS calls) against a
// canned upstream directly, a plain httputil.ReverseProxy in front of it
// (the floor), `jitgate dev`, and the roles as separate processes on a
// real Kafka broker, alternating between them, and writes report.json,
// report.md and latency.png into a new directory under -out.
//
//	make build && go run ./cmd/jitbench -jitgate bin/jitgate
//	go run ./cmd/jitbench -quick -jitgate bin/jitgate -out /tmp/jitbench
//
// See docs/performance.md for the method.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"

	"github.com/jitgate/jitgate/internal/bench"
)

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "jitbench:", err)
		os.Exit(1)
	}
}

func run(args []string) error {
	fs := flag.NewFlagSet("jitbench", flag.ContinueOnError)
	var (
		quick    = fs.Bool("quick", false, "short, bounded run for CI: upstream, proxy and dev; c=1,8; 50/s; one round of 1s")
		targets  = fs.String("targets", "", "comma-separated targets: "+strings.Join(bench.AllTargets, ",")+" (default: all, or the -quick set)")
		conc     = fs.String("concurrency", "", "comma-separated closed-loop client counts (default 1,8,32,128)")
		rate     = fs.Float64("rate", 0, "fixed-rate load point in calls/s; negative disables (default 200)")
		dur      = fs.Duration("duration", 0, "length of one run: one target at one load point in one round (default 5s)")
		rounds   = fs.Int("rounds", 0, "rounds; targets alternate within each (default 2)")
		warmup   = fs.Duration("warmup", 0, "discarded load per target before the first round (default 2s; a fresh Kafka broker's JIT needs more like 20s)")
		maxReq   = fs.Int64("max-requests", 0, "most calls started in one run (default 100000)")
		jitgate  = fs.String("jitgate", "bin/jitgate", "jitgate binary for the dev and roles targets (make build)")
		baseline = fs.String("baseline", "", "a second jitgate binary (e.g. built from main): adds dev-base and roles-base targets running it, alternating with the others")
		repo     = fs.String("repo", ".", "repository root (policies/dev.yaml, scripts/kafka.sh)")
		kafka    = fs.String("kafka", "", "existing Kafka broker for the roles target (default: start one with scripts/kafka.sh)")
		out      = fs.String("out", "bench/results", "results go into a new directory OUT/<UTC time>")
		workDir  = fs.String("work-dir", "", "keep the processes' logs and data here (default: a temporary directory, removed on success)")
		logLevel = fs.String("jitgate-log-level", "", "--log-level of the jitgate processes (default warn)")
	)
	if err := fs.Parse(args); err != nil {
		return err
	}
	var cfg bench.Config
	if *quick {
		cfg = bench.Quick()
	}
	if *targets != "" {
		cfg.Targets = strings.Split(*targets, ",")
	}
	if *conc != "" {
		cfg.Concurrency = nil
		for _, s := range strings.Split(*conc, ",") {
			n, err := strconv.Atoi(strings.TrimSpace(s))
			if err != nil {
				return fmt.Errorf("-concurrency: %w", err)
			}
			cfg.Concurrency = append(cfg.Concurrency, n)
		}
	}
	if *rate != 0 {
		cfg.Rate = *rate
	}
	if *dur != 0 {
		cfg.Duration = *dur
	}
	if *warmup != 0 {
		cfg.Warmup = *warmup
	}
	if *rounds != 0 {
		cfg.Rounds = *rounds
	}
	if *maxReq != 0 {
		cfg.MaxRequests = *maxReq
	}
	root, err := filepath.Abs(*repo)
	if err != nil {
		return err
	}
	bin, err := filepath.Abs(*jitgate)
	if err != nil {
		return err
	}
	if _, err := os.Stat(bin); err != nil {
		return fmt.Errorf("the jitgate binary: %w (run `make build`, or pass -jitgate)", err)
	}
	if *baseline != "" {
		if cfg.Baseline, err = filepath.Abs(*baseline); err != nil {
			return err
		}
		if _, err := os.Stat(cfg.Baseline); err != nil {
			return fmt.Errorf("the baseline binary: %w", err)
		}
	}
	cfg.Jitgate, cfg.RepoRoot, cfg.Kafka, cfg.WorkDir, cfg.LogLevel = bin, root, *kafka, *workDir, *logLevel
	cfg.Log = slog.New(slog.NewTextHandler(os.Stderr, nil))

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	rep, err := bench.Run(ctx, cfg)
	if err != nil {
		if errors.Is(err, context.Canceled) {
			return errors.New("interrupted; nothing written")
		}
		return err
	}
	dir := filepath.Join(*out, rep.Started.Format("20060102T150405Z"))
	if err := rep.Write(dir); err != nil {
		return err
	}
	fmt.Print(rep.Markdown())
	fmt.Printf("\nwritten to %s (%s, %s, %s)\n", dir, bench.FileJSON, bench.FileMarkdown, bench.FilePlot)
	return nil
}
