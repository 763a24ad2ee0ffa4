package main

import (
	"flag"
	"os"
	"testing"

	"github.com/urfave/cli/v2"

	"github.com/jitgate/jitgate/internal/bus"
)

// TestRoleInstanceFlags: every consumer-group role, the recorder
// included, has --instance defaulting to ROLE-HOSTNAME, which survives a
// restart (static membership).
func TestRoleInstanceFlags(t *testing.T) {
	host, _ := os.Hostname()
	cmds := map[string]*cli.Command{}
	for _, c := range app().Commands {
		cmds[c.Name] = c
	}
	for _, role := range []string{"decider", "executor", "masker", "recorder"} {
		t.Run(role, func(t *testing.T) {
			c, ok := cmds[role]
			if !ok {
				t.Fatalf("no %s command", role)
			}
			var found bool
			for _, f := range c.Flags {
				if sf, ok := f.(*cli.StringFlag); ok && sf.Name == "instance" {
					found = true
					if want := role + "-" + host; sf.Value != want {
						t.Errorf("--instance defaults to %q, want %q", sf.Value, want)
					}
				}
			}
			if !found {
				t.Fatalf("%s has no --instance", role)
			}
		})
	}
}

// TestRecorderConfigCarriesInstance: --instance reaches the recorder's
// group membership.
func TestRecorderConfigCarriesInstance(t *testing.T) {
	set := flag.NewFlagSet("recorder", flag.ContinueOnError)
	for _, f := range recorderFlags() {
		if err := f.Apply(set); err != nil {
			t.Fatal(err)
		}
	}
	if err := set.Parse([]string{"--instance", "recorder-7"}); err != nil {
		t.Fatal(err)
	}
	if got := recorderConfig(cli.NewContext(app(), set, nil), bus.Config{}).Instance; got != "recorder-7" {
		t.Fatalf("recorder.Config.Instance = %q, want recorder-7", got)
	}
}
