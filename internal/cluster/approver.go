package cluster

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"time"

	"github.com/jitgate/jitgate/internal/api"
)

// ApproverClient is a client of the first ingress's approver API (the one
// `jitgate pending`, `approve` and the rest use) signed in as subject in
// groups, with a token valid for ttl.
func (c *Cluster) ApproverClient(subject string, groups []string, ttl time.Duration) (*api.Client, error) {
	tok, err := c.Token(subject, groups, ttl)
	if err != nil {
		return nil, err
	}
	return &api.Client{Endpoint: c.Endpoint(), Token: tok, HTTP: &http.Client{Timeout: 10 * time.Second}}, nil
}

// Approve runs `jitgate approve ID --reason REASON` as its own process with
// token at the first ingress, as an approver at a terminal does, and
// returns what it printed. A refusal (the gateway said no, or could not
// be reached) is an error carrying the command's message. The command
// reads no stored login: its HOME is the cluster's log directory.
func (c *Cluster) Approve(ctx context.Context, token, id, reason string) (string, error) {
	cmd := exec.CommandContext(ctx, c.cfg.Bin, "approve", "--reason", reason, "--endpoint", c.Endpoint(), "--token", token, id)
	cmd.Env = append(os.Environ(), "HOME="+c.cfg.Dir, "XDG_CONFIG_HOME="+c.cfg.Dir, "JITGATE_ENDPOINT=", "JITGATE_TOKEN=")
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	if err := cmd.Run(); err != nil {
		return out.String(), fmt.Errorf("jitgate approve %s: %w: %s", id, err, strings.TrimSpace(errOut.String()))
	}
	return out.String(), nil
}
