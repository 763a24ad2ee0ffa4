package main

import (
	"context"
	"encoding/hex"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awssts "github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/jitgate/jitgate/internal/audit"
	"github.com/jitgate/jitgate/internal/awsemu"
	"github.com/jitgate/jitgate/internal/devissuer"
	"github.com/jitgate/jitgate/internal/session"
	"github.com/jitgate/jitgate/internal/testenv"
)

// TestEndToEndSeparateProcesses runs every role as its own OS process
// against one real Kafka broker and ClickHouse, the way production lays
// them out, and makes the same calls as the dev test with the AWS CLI.
func TestEndToEndSeparateProcesses(t *testing.T) {
	brokers := testenv.Kafka(t)
	ch := testenv.ClickHouse(t)

	mux := http.NewServeMux()
	oidc := httptest.NewServer(mux)
	defer oidc.Close()
	issuer, err := devissuer.New(oidc.URL + "/oidc")
	if err != nil {
		t.Fatal(err)
	}
	mux.Handle("/oidc/", http.StripPrefix("/oidc", issuer))

	gatewayCreds := aws.Credentials{AccessKeyID: "AKIAGATEWAYE2E000001", SecretAccessKey: "gateway-secret-for-e2e-only-000000000000"}
	emu, err := awsemu.Start(gatewayCreds, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer emu.Close()

	listen := fmt.Sprintf("127.0.0.1:%d", testenv.FreePort(t))
	common := []string{
		"JITGATE_KAFKA=" + brokers,
		fmt.Sprintf("JITGATE_TOPIC_PREFIX=e2e%d.", time.Now().UnixNano()),
		"JITGATE_PARTITIONS=3", "JITGATE_REPLICATION=1",
		"JITGATE_DECISION_KEY=" + hex.EncodeToString(session.GenerateKey()),
		"JITGATE_HOLDS_KEY=" + hex.EncodeToString(session.GenerateKey()),
	}
	with := func(extra ...string) []string { return append(append([]string(nil), common...), extra...) }
	ingressProc := startJitgate(t, "ingress", with(
		"JITGATE_SESSION_KEYS="+session.EncodeKey(session.GenerateKey()),
		"JITGATE_OIDC_ISSUER="+issuer.URL(), "JITGATE_OIDC_AUDIENCE=jitgate-e2e", "JITGATE_ALLOWED_ROLES="+devAllowedRoles),
		"ingress", "--listen", listen, "--instance", "ingress-1", "--wait", "15s")
	startJitgate(t, "decider", with(), "decider", "--policy", repoFile(t, "policies/dev.yaml"))
	startJitgate(t, "executor", with("AWS_ACCESS_KEY_ID="+gatewayCreds.AccessKeyID, "AWS_SECRET_ACCESS_KEY="+gatewayCreds.SecretAccessKey,
		"AWS_REGION=us-east-1", "AWS_CONFIG_FILE=/dev/null", "AWS_SHARED_CREDENTIALS_FILE=/dev/null", "AWS_EC2_METADATA_DISABLED=true"),
		"executor", "--upstream", emu.URL)
	startJitgate(t, "masker", with(), "masker")
	startJitgate(t, "recorder", with(), "recorder", "--clickhouse", ch)
	endpoint := "http://" + listen
	waitReady(t, ingressProc, endpoint+"/readyz")

	tok, err := issuer.Mint("bot-9", []string{"sandbox"}, "jitgate-e2e", time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	client := awssts.New(awssts.Options{Region: "us-east-1", BaseEndpoint: aws.String(endpoint), Credentials: aws.AnonymousCredentials{}})
	out, err := client.AssumeRoleWithWebIdentity(context.Background(), &awssts.AssumeRoleWithWebIdentityInput{
		RoleArn: aws.String(devRoleARN), RoleSessionName: aws.String("bot-9"), WebIdentityToken: aws.String(tok)})
	if err != nil {
		t.Fatalf("AssumeRoleWithWebIdentity: %v", err)
	}
	env := []string{
		"AWS_ENDPOINT_URL=" + endpoint, "AWS_REGION=us-east-1", "AWS_DEFAULT_REGION=us-east-1",
		"AWS_ACCESS_KEY_ID=" + aws.ToString(out.Credentials.AccessKeyId),
		"AWS_SECRET_ACCESS_KEY=" + aws.ToString(out.Credentials.SecretAccessKey),
		"AWS_SESSION_TOKEN=" + aws.ToString(out.Credentials.SessionToken),
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
