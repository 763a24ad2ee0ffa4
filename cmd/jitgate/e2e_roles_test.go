package main

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/jitgate/jitgate/internal/audit"
	"github.com/jitgate/jitgate/internal/cluster/clustertest"
)

// TestEndToEndSeparateProcesses runs every role as its own OS process
// against one real Kafka broker and ClickHouse, the way production lays
// them out, and makes the same calls as the dev test with the AWS CLI.
func TestEndToEndSeparateProcesses(t *testing.T) {
	e := clustertest.New(t, clustertest.Options{Wait: 15 * time.Second})
	emu, ch := e.Emulator, e.ClickHouse.Addr
	gatewayCreds := clustertest.Gateway
	creds := e.Agent(t, "bot-9", "sandbox")
	env := []string{
		"AWS_ENDPOINT_URL=" + e.Endpoint(), "AWS_REGION=us-east-1", "AWS_DEFAULT_REGION=us-east-1",
		"AWS_ACCESS_KEY_ID=" + creds.AccessKeyID,
		"AWS_SECRET_ACCESS_KEY=" + creds.SecretAccessKey,
		"AWS_SESSION_TOKEN=" + creds.SessionToken,
	}
	if o, e, ok := awsCLI(t, env, "s3", "mb", "s3://roles"); !ok {
		t.Fatalf("s3 mb: %s %s", o, e)
	}
	if o, e, ok := awsCLI(t, env, "s3", "ls"); !ok || !strings.Contains(o, "roles") {
		t.Fatalf("s3 ls: ok=%v %s %s", ok, o, e)
	}
	if _, e, ok := awsCLI(t, env, "s3", "rb", "s3://roles"); ok || !strings.Contains(e, "sandbox-no-delete") {
		t.Fatalf("s3 rb was not denied by the rule: %s", e)
	}
	// Every upstream call carried the gateway's signature, never the agent's.
	seen := emu.Requests()
	if len(seen) == 0 {
		t.Fatal("the emulator saw no calls")
	}
	for _, s := range seen {
		if s.AccessKeyID != gatewayCreds.AccessKeyID {
			t.Fatalf("upstream call signed by %q, not the gateway", s.AccessKeyID)
		}
	}

	cl, err := audit.Open(context.Background(), ch, "jitgate", "default", "")
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	deadline := time.Now().Add(30 * time.Second)
	for {
		rs, err := cl.Recent(context.Background(), audit.Filter{Principal: "bot-9", Limit: 20})
		if err != nil {
			t.Fatal(err)
		}
		done := 0
		for _, r := range rs {
			if r.Outcome != "" {
				done++
			}
		}
		if done >= 3 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("ClickHouse has %d finished requests of bot-9, want 3: %+v", done, rs)
		}
		time.Sleep(200 * time.Millisecond)
	}
}
