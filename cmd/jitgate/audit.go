package main

import (
	"errors"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/jitgate/jitgate/internal/audit"
)

func auditCommand() *cli.Command {
	open := func(c *cli.Context) (*audit.Client, error) {
		if c.String("clickhouse") == "" {
			return nil, errors.New("no ClickHouse: pass --clickhouse host:9000 or set JITGATE_CLICKHOUSE")
		}
		return audit.Open(c.Context, c.String("clickhouse"), c.String("clickhouse-db"), c.String("clickhouse-user"), c.String("clickhouse-password"))
	}
	return &cli.Command{
		Name:  "audit",
		Usage: "auditor: who did what, when, with which outcome (reads ClickHouse)",
		Flags: clickhouseFlags(),
		Subcommands: []*cli.Command{
			{
				Name: "sql", Usage: "run a read-only SQL query (SELECT, SHOW, DESCRIBE) against the event log", ArgsUsage: "QUERY",
				Action: func(c *cli.Context) error {
					if c.NArg() != 1 {
						return errors.New(`usage: jitgate audit sql "SELECT type, count() FROM events GROUP BY type"`)
					}
					cl, err := open(c)
					if err != nil {
						return err
					}
					defer cl.Close()
					cols, rows, err := cl.Query(c.Context, c.Args().First())
					if err != nil {
						return err
					}
					tw := tabwriter.NewWriter(c.App.Writer, 0, 4, 2, ' ', 0)
					fmt.Fprintln(tw, strings.Join(cols, "\t"))
					for _, r := range rows {
						fmt.Fprintln(tw, strings.Join(r, "\t"))
					}
					return tw.Flush()
				},
			},
			{
				Name: "timeline", Usage: "every event of one request, in order", ArgsUsage: "REQUEST_ID",
				Action: func(c *cli.Context) error {
					if c.NArg() != 1 {
						return errors.New("usage: jitgate audit timeline REQUEST_ID")
					}
					cl, err := open(c)
					if err != nil {
						return err
					}
					defer cl.Close()
					evs, err := cl.Timeline(c.Context, c.Args().First())
					if err != nil {
						return err
					}
					if len(evs) == 0 {
						return fmt.Errorf("no events recorded for request %s (is the recorder running?)", c.Args().First())
					}
					tw := tabwriter.NewWriter(c.App.Writer, 0, 4, 2, ' ', 0)
					fmt.Fprintln(tw, "TIME\tEVENT\tBY\tDETAIL")
					for _, e := range evs {
						fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", e.Time.Format("15:04:05.000000"), e.Type, e.Producer, detail(e))
					}
					return tw.Flush()
				},
			},
			{
				Name: "recent", Usage: "recent requests with their outcome (credential exchanges are service sts, operation AssumeRoleWithWebIdentity)",
				Flags: []cli.Flag{
					&cli.StringFlag{Name: "principal", Usage: "the agent's OIDC subject"},
					&cli.StringFlag{Name: "service", Usage: "service id, e.g. s3 (sts for credential exchanges)"},
					&cli.StringFlag{Name: "operation", Usage: "operation name, e.g. PutObject"},
					&cli.StringFlag{Name: "outcome", Usage: "final answer, decision or hold end, one of: " + strings.Join(audit.Outcomes, ", ")},
					&cli.DurationFlag{Name: "since", Value: 24 * time.Hour}, &cli.IntFlag{Name: "limit", Value: 50},
				},
				Action: func(c *cli.Context) error {
					f := audit.Filter{Principal: c.String("principal"), Service: c.String("service"),
						Operation: c.String("operation"), Outcome: c.String("outcome"), Since: time.Now().Add(-c.Duration("since")), Limit: c.Int("limit")}
					if err := f.Validate(); err != nil {
						return fmt.Errorf("--outcome: %w", err)
					}
					cl, err := open(c)
					if err != nil {
						return err
					}
					defer cl.Close()
					rs, err := cl.Recent(c.Context, f)
					if err != nil {
						return err
					}
					tw := tabwriter.NewWriter(c.App.Writer, 0, 4, 2, ' ', 0)
					fmt.Fprintln(tw, "RECEIVED\tREQUEST\tPRINCIPAL\tCALL\tDECISION\tRULE\tOUTCOME\tSTATUS")
					for _, r := range rs {
						fmt.Fprintf(tw, "%s\t%s\t%s\t%s.%s\t%s\t%s\t%s\t%d\n", r.Received.Format(time.RFC3339), r.RequestID, r.Principal,
							r.Service, r.Operation, r.Decision, r.Rule, r.Outcome, r.Status)
					}
					return tw.Flush()
				},
			},
			{
				Name: "unknown", Usage: "requests whose outcome is unknown (an executor stopped mid-call): check each before anyone retries it",
				Flags: []cli.Flag{
					&cli.DurationFlag{Name: "since", Value: 7 * 24 * time.Hour, Usage: "calls started within this long"},
					&cli.DurationFlag{Name: "unresolved-after", Value: audit.DefaultUnresolvedAfter,
						Usage: "also list calls started this long ago that never finished"},
					&cli.IntFlag{Name: "limit", Value: 100},
				},
				Action: func(c *cli.Context) error {
					cl, err := open(c)
					if err != nil {
						return err
					}
					defer cl.Close()
					us, err := cl.Unknown(c.Context, audit.UnknownFilter{Since: time.Now().Add(-c.Duration("since")),
						UnresolvedAfter: c.Duration("unresolved-after"), Limit: c.Int("limit")})
					if err != nil {
						return err
					}
					return writeUnknown(c.App.Writer, us)
				},
			},
		},
	}
}

// writeUnknown renders audit unknown's table.
func writeUnknown(w io.Writer, us []audit.UnknownRequest) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "RECEIVED\tREQUEST\tPRINCIPAL\tCALL\tSTARTED\tATTEMPTS\tSTATE")
	for _, u := range us {
		call := u.Service + "." + u.Operation
		if u.ReadOnly {
			call += " (read-only)"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%d\t%s\n", u.Received.Format(time.RFC3339), u.RequestID, u.Principal, call,
			u.Started.Format(time.RFC3339), u.Attempts, u.State)
	}
	return tw.Flush()
}

func detail(e audit.Event) string {
	var parts []string
	if e.Service != "" {
		parts = append(parts, e.Service+"."+e.Operation)
	}
	if e.Principal != "" {
		parts = append(parts, "principal="+e.Principal)
	}
	if e.Outcome != "" {
		parts = append(parts, "outcome="+e.Outcome)
	}
	if e.Approver != "" {
		parts = append(parts, "by="+e.Approver)
	}
	if e.Rule != "" {
		parts = append(parts, "rule="+e.Rule)
	}
	if e.Status != 0 {
		parts = append(parts, fmt.Sprintf("status=%d", e.Status))
	}
	if e.Error != "" {
		parts = append(parts, "error="+e.Error)
	}
	return strings.Join(parts, " ")
}
