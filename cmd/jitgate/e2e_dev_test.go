package main

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	awssts "github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"

	"github.com/jitgate/jitgate/internal/audit"
	"github.com/jitgate/jitgate/internal/devissuer"
	"github.com/jitgate/jitgate/internal/session"
	"github.com/jitgate/jitgate/internal/testenv"
)

// devGateway is a running `jitgate dev`.
type devGateway struct {
	dir, endpoint, clickhouse string
	proc                      *proc
}

func startDevGateway(t *testing.T) *devGateway {
	t.Helper()
	ch := testenv.ClickHouse(t)
	dir := t.TempDir()
	listen := fmt.Sprintf("127.0.0.1:%d", testenv.FreePort(t))
	tlsListen := fmt.Sprintf("127.0.0.1:%d", testenv.FreePort(t))
	p := startJitgate(t, "jitgate dev", nil, "dev", "--data-dir", dir, "--listen", listen, "--tls-listen", tlsListen,
		"--policy", repoFile(t, "policies/dev.yaml"), "--clickhouse", ch, "--wait", "10s")
	waitReady(t, p, "http://"+listen+"/readyz")
	return &devGateway{dir: dir, endpoint: "http://" + listen, clickhouse: ch, proc: p}
}

// agentEnv runs `jitgate dev env` as a user would and returns its exports.
func (d *devGateway) agentEnv(t *testing.T, agent, groups string, https bool) []string {
	t.Helper()
	args := []string{"dev", "env", "--data-dir", d.dir, "--agent", agent, "--groups", groups}
	if !https {
		args = append(args, "--http")
	}
	out, errOut, ok := run(t, nil, jitgateBin(t), args...)
	if !ok {
		t.Fatalf("jitgate dev env: %s", errOut)
	}
	return parseExports(t, out)
}

func awsCLI(t *testing.T, env []string, args ...string) (string, string, bool) {
	t.Helper()
	return run(t, env, "aws", args...)
}

func TestEndToEndDev(t *testing.T) {
	if _, err := os.Stat("/usr/bin/python3"); err != nil {
		t.Skip("python3 missing")
	}
	d := startDevGateway(t)
	env := d.agentEnv(t, "bot-1", "sandbox", false)
	if envValue(env, "AWS_SESSION_TOKEN") == "" || envValue(env, "AWS_ENDPOINT_URL") != d.endpoint {
		t.Fatalf("dev env did not export credentials and the endpoint: %v", env)
	}

	t.Run("caller identity is the agent's", func(t *testing.T) {
		out, errOut, ok := awsCLI(t, env, "sts", "get-caller-identity")
		if !ok || !strings.Contains(out, "bot-1") {
			t.Fatalf("get-caller-identity: ok=%v out=%s err=%s", ok, out, errOut)
		}
	})

	t.Run("s3 make bucket, list, copy in and out", func(t *testing.T) {
		if out, errOut, ok := awsCLI(t, env, "s3", "mb", "s3://demo"); !ok {
			t.Fatalf("s3 mb: %s %s", out, errOut)
		}
		out, errOut, ok := awsCLI(t, env, "s3", "ls")
		if !ok || !strings.Contains(out, "demo") {
			t.Fatalf("s3 ls: ok=%v out=%q err=%s", ok, out, errOut)
		}
		src := filepath.Join(t.TempDir(), "hello.txt")
		os.WriteFile(src, []byte("hello through jitgate\n"), 0o600)
		if out, errOut, ok := awsCLI(t, env, "s3", "cp", src, "s3://demo/hello.txt"); !ok {
			t.Fatalf("s3 cp up: %s %s", out, errOut)
		}
		out, errOut, ok = awsCLI(t, env, "s3", "cp", "s3://demo/hello.txt", "-")
		if !ok || out != "hello through jitgate\n" {
			t.Fatalf("s3 cp down: ok=%v out=%q err=%s", ok, out, errOut)
		}
	})

	t.Run("s3 multipart upload travels as chunks", func(t *testing.T) {
		// 9 MiB: above the CLI's 8 MiB multipart threshold, so it sends
		// CreateMultipartUpload, two UploadParts (8 MiB + 1 MiB, each
		// larger than one Kafka record) and CompleteMultipartUpload.
		big := make([]byte, 9<<20)
		rand.Read(big)
		src := filepath.Join(t.TempDir(), "big.bin")
		os.WriteFile(src, big, 0o600)
		if out, errOut, ok := awsCLI(t, env, "s3", "cp", src, "s3://demo/big.bin"); !ok {
			t.Fatalf("multipart upload: %s %s", out, errOut)
		}
		out, errOut, ok := awsCLI(t, env, "s3api", "head-object", "--bucket", "demo", "--key", "big.bin")
		if !ok || !strings.Contains(out, fmt.Sprintf(`"ContentLength": %d`, len(big))) {
			t.Fatalf("head-object after multipart: ok=%v out=%s err=%s", ok, out, errOut)
		}
		dst := filepath.Join(t.TempDir(), "back.bin")
		if out, errOut, ok := awsCLI(t, env, "s3", "cp", "s3://demo/big.bin", dst); !ok {
			t.Fatalf("download: %s %s", out, errOut)
		}
		back, _ := os.ReadFile(dst)
		if !bytesEqual(back, big) {
			t.Fatalf("downloaded %d bytes differ from the %d uploaded", len(back), len(big))
		}
	})

	t.Run("dynamodb json protocol", func(t *testing.T) {
		out, errOut, ok := awsCLI(t, env, "dynamodb", "list-tables")
		if !ok || !strings.Contains(out, "TableNames") {
			t.Fatalf("dynamodb list-tables: ok=%v out=%s err=%s", ok, out, errOut)
		}
	})

	t.Run("query, ec2 and rest-json protocols reach the upstream", func(t *testing.T) {
		for _, call := range [][]string{
			{"iam", "list-users"},          // query
			{"ec2", "describe-instances"},  // ec2
			{"lambda", "list-functions"},   // rest-json
			{"sts", "get-caller-identity"}, // answered by the gateway
		} {
			out, errOut, ok := awsCLI(t, env, call...)
			if !ok || !strings.HasPrefix(strings.TrimSpace(out), "{") {
				t.Errorf("aws %v: ok=%v out=%s err=%s", call, ok, out, errOut)
			}
		}
	})

	t.Run("delete is denied naming the rule", func(t *testing.T) {
		_, errOut, ok := awsCLI(t, env, "s3", "rb", "s3://demo")
		if ok {
			t.Fatal("s3 rb succeeded; the dev policy denies deletes")
		}
		if !strings.Contains(errOut, "AccessDenied") || !strings.Contains(errOut, "sandbox-no-delete") {
			t.Fatalf("s3 rb error does not say AccessDenied and name the rule: %s", errOut)
		}
	})

	t.Run("credential minting is denied", func(t *testing.T) {
		_, errOut, ok := awsCLI(t, env, "sts", "assume-role", "--role-arn", "arn:aws:iam::000000000000:role/admin", "--role-session-name", "xx")
		if ok || !strings.Contains(errOut, "AccessDenied") {
			t.Fatalf("sts assume-role was not denied: %s", errOut)
		}
		_, errOut, ok = awsCLI(t, env, "sts", "get-session-token")
		if ok || !strings.Contains(errOut, "AccessDenied") {
			t.Fatalf("sts get-session-token was not denied: %s", errOut)
		}
	})

	t.Run("boto3 over HTTPS", func(t *testing.T) {
		httpsEnv := d.agentEnv(t, "bot-2", "sandbox", true)
		if envValue(httpsEnv, "AWS_CA_BUNDLE") == "" || !strings.HasPrefix(envValue(httpsEnv, "AWS_ENDPOINT_URL"), "https://") {
			t.Fatalf("dev env without --http must export an HTTPS endpoint and AWS_CA_BUNDLE: %v", httpsEnv)
		}
		script := `
import boto3, botocore
s3 = boto3.client("s3")
print("buckets", [b["Name"] for b in s3.list_buckets()["Buckets"]])
print("tables", boto3.client("dynamodb").list_tables()["TableNames"])
try:
    s3.delete_bucket(Bucket="demo")
    print("delete allowed")
except botocore.exceptions.ClientError as e:
    print("error", e.response["Error"]["Code"], e.response["Error"]["Message"])
`
		out, errOut, ok := run(t, httpsEnv, "python3", "-c", script)
		if !ok {
			t.Fatalf("boto3: %s", errOut)
		}
		for _, want := range []string{"buckets ['demo']", "tables", "error AccessDenied", "sandbox-no-delete"} {
			if !strings.Contains(out, want) {
				t.Errorf("boto3 output lacks %q:\n%s", want, out)
			}
		}
	})

	t.Run("aws-sdk-go-v2", func(t *testing.T) {
		env := d.agentEnv(t, "bot-3", "sandbox", true)
		cfg := sdkConfig(t, env)
		cl := s3.NewFromConfig(cfg, func(o *s3.Options) { o.UsePathStyle = true })
		ctx := context.Background()
		if _, err := cl.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("demo"), Key: aws.String("go.txt"), Body: strings.NewReader("from go")}); err != nil {
			t.Fatalf("PutObject: %v", err)
		}
		if _, err := dynamodb.NewFromConfig(cfg).ListTables(ctx, &dynamodb.ListTablesInput{}); err != nil {
			t.Fatalf("ListTables: %v", err)
		}
		_, err := cl.DeleteBucket(ctx, &s3.DeleteBucketInput{Bucket: aws.String("demo")})
		var apiErr smithy.APIError
		if !errors.As(err, &apiErr) || apiErr.ErrorCode() != "AccessDenied" || !strings.Contains(apiErr.ErrorMessage(), "sandbox-no-delete") {
			t.Fatalf("DeleteBucket: got %v, want AccessDenied naming the rule", err)
		}
	})

	t.Run("tampered signature, expired and foreign credentials are rejected", func(t *testing.T) {
		bad := append([]string(nil), env...)
		bad = append(bad, "AWS_SECRET_ACCESS_KEY="+strings.Repeat("x", 40))
		_, errOut, ok := awsCLI(t, bad, "s3", "ls")
		if ok || !strings.Contains(errOut, "SignatureDoesNotMatch") {
			t.Fatalf("wrong secret: %s", errOut)
		}
		// An expired session, sealed with the gateway's own key.
		keys, err := session.ReadKeyFile(filepath.Join(d.dir, "session.key"))
		if err != nil {
			t.Fatal(err)
		}
		sealer, _ := session.NewSealer(keys...)
		old, tok, err := sealer.Issue(session.Principal{Subject: "bot-1", Groups: []string{"sandbox"}}, "", "x", time.Hour, time.Now().Add(-3*time.Hour))
		if err != nil {
			t.Fatal(err)
		}
		expired := append([]string(nil), env...)
		expired = append(expired, "AWS_ACCESS_KEY_ID="+old.AccessKeyID, "AWS_SECRET_ACCESS_KEY="+old.SecretAccessKey, "AWS_SESSION_TOKEN="+tok)
		_, errOut, ok = awsCLI(t, expired, "s3", "ls")
		if ok || !strings.Contains(errOut, "ExpiredToken") {
			t.Fatalf("expired session: %s", errOut)
		}
	})

	t.Run("tokens from a foreign issuer or for another audience get no credentials", func(t *testing.T) {
		st, err := readDevState(d.dir)
		if err != nil {
			t.Fatal(err)
		}
		foreign, err := devissuer.New("https://evil.example/oidc")
		if err != nil {
			t.Fatal(err)
		}
		own, err := devissuer.New(st.Issuer, devissuer.WithKeyFile(filepath.Join(d.dir, "oidc-key.pem")))
		if err != nil {
			t.Fatal(err)
		}
		wrongIss, _ := foreign.Mint("bot-1", []string{"sandbox"}, devAudience, time.Hour)
		wrongAud, _ := own.Mint("bot-1", []string{"sandbox"}, "someone-else", time.Hour)
		expiredTok, _ := own.MintClaims(map[string]any{"sub": "bot-1", "aud": devAudience, "exp": time.Now().Add(-time.Hour).Unix(), "iat": time.Now().Add(-2 * time.Hour).Unix()}, time.Hour)
		client := awssts.New(awssts.Options{Region: "us-east-1", BaseEndpoint: aws.String(d.endpoint), Credentials: aws.AnonymousCredentials{}})
		for name, tok := range map[string]string{"wrong issuer": wrongIss, "wrong audience": wrongAud, "expired": expiredTok} {
			_, err := client.AssumeRoleWithWebIdentity(context.Background(), &awssts.AssumeRoleWithWebIdentityInput{
				RoleArn: aws.String(devRoleARN), RoleSessionName: aws.String("xx"), WebIdentityToken: aws.String(tok)})
			var apiErr smithy.APIError
			if !errors.As(err, &apiErr) || !strings.Contains(apiErr.ErrorCode(), "Token") {
				t.Errorf("%s: got %v, want an InvalidIdentityToken/ExpiredToken error", name, err)
			}
		}
	})

	t.Run("unsigned calls are refused", func(t *testing.T) {
		resp, err := http.Get(d.endpoint + "/")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusForbidden {
			t.Fatalf("unsigned ListBuckets answered %d", resp.StatusCode)
		}
	})

	t.Run("every request's events are in ClickHouse in order", func(t *testing.T) {
		cl, err := audit.Open(context.Background(), d.clickhouse, "jitgate", "default", "")
		if err != nil {
			t.Fatal(err)
		}
		defer cl.Close()
		var denied *audit.RequestSummary
		deadline := time.Now().Add(30 * time.Second)
		for denied == nil && time.Now().Before(deadline) {
			rs, err := cl.Recent(context.Background(), audit.Filter{Principal: "bot-1", Operation: "DeleteBucket", Limit: 10})
			if err != nil {
				t.Fatal(err)
			}
			for i := range rs {
				if rs[i].Outcome != "" {
					denied = &rs[i]
				}
			}
			time.Sleep(200 * time.Millisecond)
		}
		if denied == nil {
			t.Fatal("the denied DeleteBucket never reached ClickHouse")
		}
		if denied.Decision != "deny" || denied.Rule != "sandbox-no-delete" || denied.Principal != "bot-1" {
			t.Errorf("summary = %+v", *denied)
		}
		evs, err := cl.Timeline(context.Background(), denied.RequestID)
		if err != nil {
			t.Fatal(err)
		}
		var types []string
		for _, e := range evs {
			types = append(types, e.Type)
		}
		if got := strings.Join(types, ","); got != "request.received,decision.made,response.ready" {
			t.Fatalf("timeline of %s = %s", denied.RequestID, got)
		}
		// Calls the gateway answers itself are recorded too.
		ident, err := cl.Recent(context.Background(), audit.Filter{Principal: "bot-1", Operation: "GetCallerIdentity", Limit: 5})
		if err != nil || len(ident) == 0 || ident[0].Outcome != "executed" {
			t.Errorf("GetCallerIdentity is not in the audit log as executed: %+v %v", ident, err)
		}
		// And through the CLI, the way an auditor asks.
		out, errOut, ok := run(t, nil, jitgateBin(t), "audit", "--clickhouse", d.clickhouse, "timeline", denied.RequestID)
		if !ok || !strings.Contains(out, "decision.made") {
			t.Fatalf("jitgate audit timeline: %s %s", out, errOut)
		}
	})
}

func bytesEqual(a, b []byte) bool { return string(a) == string(b) }

// sdkConfig builds an aws-sdk-go-v2 config from exported variables, the way
// the SDK's default chain would read them.
func sdkConfig(t *testing.T, env []string) aws.Config {
	t.Helper()
	ca, err := os.ReadFile(envValue(env, "AWS_CA_BUNDLE"))
	if err != nil {
		t.Fatal(err)
	}
	httpClient := awsHTTPClientWithCA(t, ca)
	return aws.Config{
		Region:       envValue(env, "AWS_REGION"),
		BaseEndpoint: aws.String(envValue(env, "AWS_ENDPOINT_URL")),
		Credentials: credentials.NewStaticCredentialsProvider(envValue(env, "AWS_ACCESS_KEY_ID"),
			envValue(env, "AWS_SECRET_ACCESS_KEY"), envValue(env, "AWS_SESSION_TOKEN")),
		HTTPClient: httpClient,
	}
}

func (d *devGateway) stop(t *testing.T) {
	t.Helper()
	d.proc.Stop()
}

// TestMintedCredentialsAreMasked allows sts:AssumeRole by policy and checks
// that the credentials AWS returns never reach the agent.
func TestMintedCredentialsAreMasked(t *testing.T) {
	policyFile := filepath.Join(t.TempDir(), "policy.yaml")
	os.WriteFile(policyFile, []byte(`version: 1
allow_credential_minting: true
rules:
  - name: sandbox-may-assume
    when: '"sandbox" in principal.groups && operation == "AssumeRole"'
    then: allow
    reason: this test lets the agent assume a role
`), 0o600)
	dir := t.TempDir()
	listen := fmt.Sprintf("127.0.0.1:%d", testenv.FreePort(t))
	p := startJitgate(t, "jitgate dev", nil, "dev", "--data-dir", dir, "--listen", listen, "--tls-listen", "", "--policy", policyFile)
	waitReady(t, p, "http://"+listen+"/readyz")
	d := &devGateway{dir: dir, endpoint: "http://" + listen, proc: p}
	env := d.agentEnv(t, "bot-1", "sandbox", false)
	out, errOut, ok := awsCLI(t, env, "sts", "assume-role", "--role-arn", "arn:aws:iam::000000000000:role/target", "--role-session-name", "s1")
	if !ok {
		t.Fatalf("assume-role: %s", errOut)
	}
	var got struct {
		Credentials struct{ AccessKeyId, SecretAccessKey, SessionToken string }
	}
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		t.Fatalf("the CLI could not parse the masked answer: %v\n%s", err, out)
	}
	c := got.Credentials
	if c.AccessKeyId == "" || !strings.Contains(c.SecretAccessKey, "REDACTED") || !strings.Contains(c.SessionToken, "REDACTED") {
		t.Fatalf("credentials reached the agent: %+v", c)
	}
}
