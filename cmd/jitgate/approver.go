package main

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/jitgate/jitgate/internal/api"
)

// Approver commands talk to the ingress's JSON API with an OIDC token.

func approverFlags() []cli.Flag {
	return []cli.Flag{
		&cli.StringFlag{Name: "endpoint", Usage: "gateway URL (default: the stored login's, else http://127.0.0.1:8080)", EnvVars: []string{"JITGATE_ENDPOINT"}},
		&cli.StringFlag{Name: "token", Usage: "OIDC token (default: the stored login's; see `jitgate login`)", EnvVars: []string{"JITGATE_TOKEN"}},
		&cli.StringFlag{Name: "ca-bundle", Usage: "PEM file of CAs to trust for the gateway's HTTPS", EnvVars: []string{"JITGATE_CA_BUNDLE", "AWS_CA_BUNDLE"}},
		&cli.BoolFlag{Name: "json", Usage: "print JSON for scripts"},
	}
}

// login is what `jitgate login` stores.
type login struct {
	Endpoint string `json:"endpoint"`
	Token    string `json:"token"`
	CABundle string `json:"ca_bundle,omitempty"`
}

func loginPath() (string, error) {
	dir, err := os.UserConfigDir()
	if err != nil {
		return "", err
	}
	return filepath.Join(dir, "jitgate", "login.json"), nil
}

func readLogin() login {
	var l login
	if p, err := loginPath(); err == nil {
		if raw, err := os.ReadFile(p); err == nil {
			json.Unmarshal(raw, &l)
		}
	}
	return l
}

func apiClient(c *cli.Context) (*api.Client, error) {
	l := readLogin()
	endpoint := firstNonEmpty(c.String("endpoint"), l.Endpoint, "http://127.0.0.1:8080")
	token := firstNonEmpty(c.String("token"), l.Token)
	if token == "" {
		return nil, errors.New("no token: pass --token, set JITGATE_TOKEN, or run `jitgate login --token TOKEN` (in dev: `jitgate dev token --sub alice --groups approvers`)")
	}
	hc := &http.Client{Timeout: 30 * time.Second}
	if ca := firstNonEmpty(c.String("ca-bundle"), l.CABundle); ca != "" && strings.HasPrefix(endpoint, "https://") {
		pem, err := os.ReadFile(ca)
		if err != nil {
			return nil, fmt.Errorf("--ca-bundle: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("--ca-bundle %s holds no PEM certificate", ca)
		}
		hc.Transport = &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}
	}
	return &api.Client{Endpoint: endpoint, Token: token, HTTP: hc}, nil
}

func firstNonEmpty(xs ...string) string {
	for _, x := range xs {
		if x != "" {
			return x
		}
	}
	return ""
}

// approverCommand wraps an action that needs an API client; --json output
// is handled by the action through printOut.
func approverCommand(name, usage, args string, flags []cli.Flag, run func(c *cli.Context, cl *api.Client) error) *cli.Command {
	return &cli.Command{
		Name: name, Usage: usage, ArgsUsage: args, Flags: append(approverFlags(), flags...),
		Action: func(c *cli.Context) error {
			cl, err := apiClient(c)
			if err != nil {
				return err
			}
			ctx, cancel := context.WithTimeout(c.Context, 30*time.Second)
			defer cancel()
			c.Context = ctx
			return run(c, cl)
		},
	}
}

func oneArg(c *cli.Context, what string) (string, error) {
	if c.NArg() != 1 {
		return "", fmt.Errorf("usage: jitgate %s %s", c.Command.Name, what)
	}
	return c.Args().First(), nil
}

func printJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

func approverCommands() []*cli.Command {
	return []*cli.Command{
		{
			Name: "login", Usage: "store the gateway URL and your OIDC token for the approver commands",
			Flags: []cli.Flag{
				&cli.StringFlag{Name: "endpoint", Value: "http://127.0.0.1:8080", EnvVars: []string{"JITGATE_ENDPOINT"}},
				&cli.StringFlag{Name: "token", Required: true, Usage: "OIDC token from your IdP", EnvVars: []string{"JITGATE_TOKEN"}},
				&cli.StringFlag{Name: "ca-bundle", EnvVars: []string{"JITGATE_CA_BUNDLE"}},
			},
			Action: func(c *cli.Context) error {
				cl := &api.Client{Endpoint: c.String("endpoint"), Token: c.String("token"), HTTP: &http.Client{Timeout: 30 * time.Second}}
				who, err := cl.Whoami(c.Context)
				if err != nil {
					return fmt.Errorf("the gateway did not accept the token: %w", err)
				}
				p, err := loginPath()
				if err != nil {
					return err
				}
				raw, _ := json.Marshal(login{Endpoint: c.String("endpoint"), Token: c.String("token"), CABundle: c.String("ca-bundle")})
				if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
					return err
				}
				if err := os.WriteFile(p, raw, 0o600); err != nil {
					return err
				}
				fmt.Fprintf(c.App.Writer, "logged in to %s as %s (groups %s); stored in %s\n", c.String("endpoint"), who.Subject, strings.Join(who.Groups, ","), p)
				return nil
			},
		},
		approverCommand("pending", "approver: list held requests awaiting a decision", "", nil, func(c *cli.Context, cl *api.Client) error {
			hs, err := cl.Pending(c.Context)
			if err != nil {
				return err
			}
			if c.Bool("json") {
				return printJSON(c.App.Writer, hs)
			}
			if len(hs) == 0 {
				fmt.Fprintln(c.App.Writer, "no held requests")
				return nil
			}
			tw := tabwriter.NewWriter(c.App.Writer, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "ID\tAGE\tAGENT\tCALL\tPARAMS\tRULE\tAPPROVALS\tEXPIRES IN\tJUSTIFICATION")
			now := time.Now()
			for _, h := range hs {
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s:%s\t%s\t%s\t%d/%d\t%s\t%s\n", h.ID, short(now.Sub(h.OpenedAt)), h.Agent, h.Service, h.Operation,
					clip(compactJSON(h.Params), 60), h.Rule, len(h.Approvals), h.Needed, short(h.Expires.Sub(now)), justification(h))
			}
			return tw.Flush()
		}),
		approverCommand("show", "approver: the full held request, its rule and its timeline", "ID", nil, func(c *cli.Context, cl *api.Client) error {
			id, err := oneArg(c, "ID")
			if err != nil {
				return err
			}
			h, err := cl.Hold(c.Context, id)
			if err != nil {
				return err
			}
			if c.Bool("json") {
				return printJSON(c.App.Writer, h)
			}
			return printHold(c.App.Writer, h)
		}),
		approverCommand("approve", "approver: approve a held request (it runs if the agent still waits; a grant lets its retry through)", "ID",
			[]cli.Flag{&cli.StringFlag{Name: "reason"}, &cli.DurationFlag{Name: "for", Usage: "shorten the grant the rule allows"}},
			func(c *cli.Context, cl *api.Client) error {
				id, err := oneArg(c, "ID [--reason TEXT] [--for 15m]")
				if err != nil {
					return err
				}
				in := api.ApproveRequest{Reason: c.String("reason")}
				if d := c.Duration("for"); d > 0 {
					in.For = d.String()
				}
				h, err := cl.Approve(c.Context, id, in)
				if err != nil {
					return err
				}
				return report(c, h, fmt.Sprintf("approved %s: %d/%d approvals, now %s", id, len(h.Approvals), h.Needed, h.State))
			}),
		approverCommand("deny", "approver: deny a held request", "ID", []cli.Flag{&cli.StringFlag{Name: "reason", Required: true}},
			func(c *cli.Context, cl *api.Client) error {
				id, err := oneArg(c, "ID --reason TEXT")
				if err != nil {
					return err
				}
				h, err := cl.Deny(c.Context, id, api.DenyRequest{Reason: c.String("reason")})
				if err != nil {
					return err
				}
				return report(c, h, fmt.Sprintf("denied %s", id))
			}),
		approverCommand("justify", "requester: explain why your held request should be approved", "ID TEXT", nil, func(c *cli.Context, cl *api.Client) error {
			if c.NArg() != 2 {
				return errors.New(`usage: jitgate justify ID "why this call is needed"`)
			}
			h, err := cl.Justify(c.Context, c.Args().Get(0), api.JustifyRequest{Text: c.Args().Get(1)})
			if err != nil {
				return err
			}
			return report(c, h, "justification recorded for "+h.ID)
		}),
		approverCommand("grants", "approver: list active grants", "", nil, func(c *cli.Context, cl *api.Client) error {
			gs, err := cl.Grants(c.Context)
			if err != nil {
				return err
			}
			if c.Bool("json") {
				return printJSON(c.App.Writer, gs)
			}
			if len(gs) == 0 {
				fmt.Fprintln(c.App.Writer, "no active grants")
				return nil
			}
			tw := tabwriter.NewWriter(c.App.Writer, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "GRANT\tAGENT\tSCOPE\tCALL\tEXPIRES IN\tAPPROVED BY\tREQUEST")
			for _, g := range gs {
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s:%s\t%s\t%s\t%s\n", g.ID, g.Agent, g.Scope, g.Service, g.Operation,
					short(time.Until(g.Expires)), strings.Join(g.ApprovedBy, ", "), g.RequestID)
			}
			return tw.Flush()
		}),
		approverCommand("revoke", "approver: close a grant before it expires", "GRANT_ID", []cli.Flag{&cli.StringFlag{Name: "reason"}},
			func(c *cli.Context, cl *api.Client) error {
				id, err := oneArg(c, "GRANT_ID [--reason TEXT]")
				if err != nil {
					return err
				}
				g, err := cl.Revoke(c.Context, id, api.RevokeRequest{Reason: c.String("reason")})
				if err != nil {
					return err
				}
				if c.Bool("json") {
					return printJSON(c.App.Writer, g)
				}
				fmt.Fprintf(c.App.Writer, "revoked grant %s of %s\n", g.ID, g.Agent)
				return nil
			}),
	}
}

func report(c *cli.Context, h api.Hold, line string) error {
	if c.Bool("json") {
		return printJSON(c.App.Writer, h)
	}
	fmt.Fprintln(c.App.Writer, line)
	return nil
}

func printHold(w io.Writer, h api.Hold) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	row := func(k, v string) {
		if v != "" {
			fmt.Fprintf(tw, "%s\t%s\n", k, v)
		}
	}
	row("request", h.ID)
	row("state", h.State)
	row("agent", fmt.Sprintf("%s (%s) groups %s", h.Agent, h.Issuer, strings.Join(h.Groups, ",")))
	row("call", fmt.Sprintf("%s:%s in %s", h.Service, h.Operation, h.Region))
	row("http", strings.TrimSpace(h.Method+" "+h.Path))
	row("resources", kv(h.Resources))
	row("params", indentJSON(h.Params, "\t"))
	row("source", h.Source)
	row("rule", h.Rule)
	row("reason", h.Reason)
	row("approvers", fmt.Sprintf("%d of groups %s", h.Needed, strings.Join(h.Approvers, ",")))
	if h.GrantFor != "" {
		row("grant", fmt.Sprintf("%s scope, up to %s", h.GrantScope, h.GrantFor))
	}
	row("grant pins", indentJSON(h.GrantPin, "\t"))
	row("justification", justification(h))
	row("expires", h.Expires.Local().Format(time.RFC3339))
	tw.Flush()
	fmt.Fprintln(w, "\ntimeline:")
	tw = tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	for _, e := range h.Timeline {
		fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\n", e.At.Local().Format("15:04:05"), e.What, e.By, e.Detail)
	}
	return tw.Flush()
}

// compactJSON renders raw JSON on one line ("" for none).
func compactJSON(raw json.RawMessage) string {
	var b bytes.Buffer
	if len(raw) == 0 || json.Compact(&b, raw) != nil {
		return string(raw)
	}
	return b.String()
}

// indentJSON renders raw JSON over several lines, continuation lines
// prefixed for a tabwriter row, so nested parameters (DeleteObjects keys,
// batch items) read one per line.
func indentJSON(raw json.RawMessage, prefix string) string {
	var b bytes.Buffer
	if len(raw) == 0 || json.Indent(&b, raw, prefix, "  ") != nil {
		return string(raw)
	}
	return b.String()
}

// clip cuts s to n runes for a table cell; `jitgate show` has the rest.
func clip(s string, n int) string {
	if r := []rune(s); len(r) > n {
		return string(r[:n-1]) + "…"
	}
	return s
}

func justification(h api.Hold) string {
	switch {
	case h.Justification != "":
		return fmt.Sprintf("%q", h.Justification)
	case h.RequireJustification:
		return "required, none yet"
	}
	return ""
}

func kv(m map[string]string) string {
	var parts []string
	for _, k := range []string{"bucket", "key", "table", "function", "queue", "topic", "role", "user", "instances"} {
		if v, ok := m[k]; ok {
			parts = append(parts, k+"="+v)
		}
	}
	return strings.Join(parts, " ")
}

// short renders a duration for tables: 42s, 5m, 2h10m.
func short(d time.Duration) string {
	switch {
	case d < 0:
		return "expired"
	case d < time.Minute:
		return d.Round(time.Second).String()
	case d < time.Hour:
		return fmt.Sprintf("%dm", int(d.Minutes()))
	}
	return strings.TrimSuffix(d.Round(time.Minute).String(), "0s")
}
