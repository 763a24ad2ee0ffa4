package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strings"
	"text/tabwriter"

	"github.com/urfave/cli/v2"

	"github.com/jitgate/jitgate/internal/awsmodel"
	"github.com/jitgate/jitgate/internal/policy"
)

func policyCommand() *cli.Command {
	return &cli.Command{
		Name:  "policy",
		Usage: "policy author: validate a policy file, or explain which rule matches a request",
		Subcommands: []*cli.Command{
			{
				Name: "check", Usage: "validate a policy file", ArgsUsage: "FILE",
				Action: func(c *cli.Context) error {
					if c.NArg() != 1 {
						return errors.New("usage: jitgate policy check FILE")
					}
					p, err := policy.Load(c.Args().First())
					if err != nil {
						return err
					}
					fmt.Fprintf(c.App.Writer, "%s: ok, %d rules, sha256 %s\n", c.Args().First(), len(p.Rules()), p.Hash())
					return nil
				},
			},
			{
				Name: "explain", Usage: "show how each rule judges a request", ArgsUsage: "FILE",
				Flags: []cli.Flag{&cli.StringFlag{Name: "request", Required: true,
					Usage: `the request as JSON, or @FILE: {"principal":{"sub":"bot-1","groups":["sandbox"]},"service":"s3","operation":"DeleteBucket","params":{"Bucket":"demo"}}`}},
				Action: explainAction,
			},
		},
	}
}

// explainRequest is the JSON form of a policy input.
type explainRequest struct {
	Principal struct {
		Sub    string            `json:"sub"`
		Issuer string            `json:"issuer"`
		Groups []string          `json:"groups"`
		Claims map[string]string `json:"claims"`
	} `json:"principal"`
	Service   string         `json:"service"`
	Operation string         `json:"operation"`
	Region    string         `json:"region"`
	ReadOnly  bool           `json:"readOnly"`
	Params    map[string]any `json:"params"`
	Source    string         `json:"source"`
	Role      string         `json:"role"`
	// Effects default to the operation's effects in the embedded model,
	// as the decider computes them.
	Effects []string `json:"effects"`
}

func explainAction(c *cli.Context) error {
	if c.NArg() != 1 {
		return errors.New("usage: jitgate policy explain FILE --request JSON")
	}
	p, err := policy.Load(c.Args().First())
	if err != nil {
		return err
	}
	raw := c.String("request")
	if path, ok := strings.CutPrefix(raw, "@"); ok {
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		raw = string(b)
	}
	var req explainRequest
	dec := json.NewDecoder(strings.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil {
		return fmt.Errorf("--request is not a valid request: %w", err)
	}
	in := policy.Input{
		Principal: policy.Principal{Sub: req.Principal.Sub, Issuer: req.Principal.Issuer, Groups: req.Principal.Groups, Claims: req.Principal.Claims},
		Service:   req.Service, Operation: req.Operation, Region: req.Region, ReadOnly: req.ReadOnly,
		Params: req.Params, Source: req.Source, Role: req.Role, Effects: req.Effects,
	}
	if in.Effects == nil {
		ix, err := awsmodel.Load()
		if err != nil {
			return err
		}
		in.Effects, _ = ix.Effects(in.Service, in.Operation)
		in.Effects = awsmodel.WithParamEffects(in.Effects, in.Params)
	}
	d, traces := p.Explain(in)
	tw := tabwriter.NewWriter(c.App.Writer, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "RULE\tLINE\tTHEN\tMATCHED\tNOTE")
	for _, t := range traces {
		note := ""
		switch {
		case t.Err != nil:
			note = "error: " + t.Err.Error()
		case t.Decisive:
			note = "<- decides"
		}
		fmt.Fprintf(tw, "%s\t%d\t%s\t%v\t%s\n", t.Rule, t.Line, t.Then, t.Matched, note)
	}
	tw.Flush()
	rule := d.Rule
	if rule == "" {
		rule = "(none)"
	}
	fmt.Fprintf(c.App.Writer, "\ndecision: %s by %s: %s\n", d.Outcome, rule, d.Reason)
	return nil
}
