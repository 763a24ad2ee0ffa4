package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"text/tabwriter"

	"github.com/urfave/cli/v2"

	"github.com/jitgate/jitgate/internal/bus"
	"github.com/jitgate/jitgate/internal/deadletters"
)

// deadLettersCommand is `jitgate deadletters list|redrive`: the records the
// stages gave up on (see docs/reliability.md, "Failure policy and
// failover").
func deadLettersCommand() *cli.Command {
	stage := &cli.StringFlag{Name: "stage", Usage: "only dead letters of this consumer group (e.g. jitgate-masker)"}
	return &cli.Command{
		Name:  "deadletters",
		Usage: "operator: list and re-drive the events stages gave up on",
		Subcommands: []*cli.Command{
			{
				Name: "list", Usage: "list dead letters, oldest first",
				Flags: append(kafkaFlags(), stage, &cli.BoolFlag{Name: "json", Usage: "one JSON object per line, original record included"}),
				Action: func(c *cli.Context) error {
					bcfg, err := busConfig(c, "operator")
					if err != nil {
						return err
					}
					all, err := listDeadLetters(c, bcfg)
					if err != nil {
						return err
					}
					if c.Bool("json") {
						enc := json.NewEncoder(c.App.Writer)
						for _, e := range all {
							if err := enc.Encode(e); err != nil {
								return err
							}
						}
						return nil
					}
					w := tabwriter.NewWriter(c.App.Writer, 0, 4, 2, ' ', 0)
					fmt.Fprintln(w, "ID\tAT\tSTAGE\tKIND\tTRIES\tSOURCE\tTYPE\tREQUEST\tREASON")
					for _, e := range all {
						fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%d\t%s/%d@%d\t%s\t%s\t%s\n", e.ID, e.At.Format("2006-01-02T15:04:05Z"), e.Stage, e.Kind,
							e.Attempts, e.Topic, e.Partition, e.Offset, e.Type, e.RequestID, oneLine(e.Reason, 120))
					}
					return w.Flush()
				},
			},
			{
				Name: "redrive", Usage: "re-publish dead letters' original records to their topics", ArgsUsage: "ID... | --all",
				Flags: append(kafkaFlags(), stage, &cli.BoolFlag{Name: "all", Usage: "every dead letter (of --stage, if given)"}),
				Action: func(c *cli.Context) error {
					if c.Bool("all") == (c.NArg() > 0) {
						return errors.New("name dead letter ids (from `jitgate deadletters list`) or pass --all, not both")
					}
					bcfg, err := busConfig(c, "operator")
					if err != nil {
						return err
					}
					all, err := listDeadLetters(c, bcfg)
					if err != nil {
						return err
					}
					pick := all
					if !c.Bool("all") {
						if pick, err = deadletters.Find(all, c.Args().Slice()...); err != nil {
							return err
						}
					}
					pub, err := bus.NewPublisher(bcfg)
					if err != nil {
						return err
					}
					defer pub.Close()
					for _, e := range pick {
						if err := deadletters.Redrive(c.Context, bcfg, pub, e); err != nil {
							return err
						}
						fmt.Fprintf(c.App.Writer, "redrove %s to %s (was %s/%d@%d)\n", e.ID, e.Topic, e.Topic, e.Partition, e.Offset)
					}
					if len(pick) == 0 {
						fmt.Fprintln(c.App.Writer, "no dead letters")
					}
					return nil
				},
			},
		},
	}
}

// listDeadLetters lists the dead letters, filtered by --stage.
func listDeadLetters(c *cli.Context, bcfg bus.Config) ([]deadletters.Entry, error) {
	all, err := deadletters.List(c.Context, bcfg, logger(c))
	if err != nil {
		return nil, err
	}
	s := c.String("stage")
	if s == "" {
		return all, nil
	}
	out := all[:0]
	for _, e := range all {
		if e.Stage == s {
			out = append(out, e)
		}
	}
	return out, nil
}

// oneLine shortens s to n bytes on one line.
func oneLine(s string, n int) string {
	b := []byte(s)
	for i, c := range b {
		if c == '\n' || c == '\t' {
			b[i] = ' '
		}
	}
	if len(b) > n {
		b = append(b[:n-3], "..."...)
	}
	return strings.ToValidUTF8(string(b), "")
}
