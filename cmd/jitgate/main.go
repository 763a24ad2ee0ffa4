// Command jitgate is the just-in-time access gateway between AI agents and
// AWS: one binary, one subcommand per role, plus `dev` (every role in one
// process) and the approver, auditor and operator commands.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/urfave/cli/v2"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	a := app()
	if err := a.RunContext(ctx, interspersed(a, os.Args)); err != nil {
		fmt.Fprintln(os.Stderr, "jitgate:", err)
		os.Exit(1)
	}
}

func app() *cli.App {
	return &cli.App{
		Name:  "jitgate",
		Usage: "just-in-time access gateway between AI agents and AWS",
		Description: "Agents point stock AWS tooling at the ingress; every call is verified, judged by policy,\n" +
			"held for a human when the policy says so, executed with the gateway's own credentials,\n" +
			"masked, and recorded. See README.md and docs/.",
		Flags: logFlags(),
		Commands: append([]*cli.Command{
			ingressCommand(), deciderCommand(), executorCommand(), maskerCommand(), recorderCommand(),
			devCommand(), policyCommand(), auditCommand(), topicsCommand(), deadLettersCommand(),
		}, approverCommands()...),
		EnableBashCompletion: true,
	}
}
