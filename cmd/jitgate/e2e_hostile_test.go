package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"

	"github.com/jitgate/jitgate/internal/awsemu"
	"github.com/jitgate/jitgate/internal/testenv"
)

// hostile is one hand-made request an attacker with valid agent
// credentials could send. The gateway must refuse it before anything
// reaches the upstream.
type hostile struct {
	name    string
	service string // SigV4 signing name
	method  string
	path    string // sent as is: dot segments and escapes stay
	query   string
	header  map[string]string // signed
	body    string
	// unsigned headers are added after signing.
	unsigned map[string]string
	// payloadHash overrides the signed X-Amz-Content-Sha256 ("" = the
	// body's hash, set only for S3 as SDKs do).
	payloadHash string
	// region of the credential scope ("" = us-east-1).
	region string
	// want are substrings of which the answer must contain one (error
	// codes or message parts).
	want []string
}

// TestHostileRequests sends the attack corpus of issue 6 through a running
// `jitgate dev` whose executor points at an emulator behind a SigV4-checking
// shim: each request must be refused in the caller's protocol, and the
// shim must see no call.
func TestHostileRequests(t *testing.T) {
	gateway := aws.Credentials{AccessKeyID: "AKIAGATEWAYHOSTILE01", SecretAccessKey: "gateway-secret-for-hostile-tests-0000000"}
	emu, err := awsemu.Start(gateway, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer emu.Close()

	dir := t.TempDir()
	listen := fmt.Sprintf("127.0.0.1:%d", testenv.FreePort(t))
	p := startJitgate(t, "jitgate dev", []string{
		"AWS_ACCESS_KEY_ID=" + gateway.AccessKeyID, "AWS_SECRET_ACCESS_KEY=" + gateway.SecretAccessKey,
		"AWS_REGION=us-east-1", "AWS_CONFIG_FILE=/dev/null", "AWS_SHARED_CREDENTIALS_FILE=/dev/null", "AWS_EC2_METADATA_DISABLED=true",
	}, "dev", "--data-dir", dir, "--listen", listen, "--tls-listen", "", "--upstream", emu.URL,
		"--policy", repoFile(t, "policies/dev.yaml"), "--wait", "10s")
	endpoint := "http://" + listen
	waitReady(t, p, endpoint+"/readyz")
	d := &devGateway{dir: dir, endpoint: endpoint, proc: p}
	agent := exportMap(d.agentEnv(t, "mallory", "sandbox", false))
	creds := aws.Credentials{AccessKeyID: agent["AWS_ACCESS_KEY_ID"], SecretAccessKey: agent["AWS_SECRET_ACCESS_KEY"], SessionToken: agent["AWS_SESSION_TOKEN"]}

	// A legitimate call first: the bucket the attacks aim at exists, and
	// the shim is known to count what gets through.
	before := len(emu.Requests())
	if status, body := sendSigned(t, endpoint, creds, hostile{service: "s3", method: "PUT", path: "/victim"}, true); status != http.StatusOK {
		t.Fatalf("create bucket: %d %s", status, body)
	}
	if len(emu.Requests()) != before+1 {
		t.Fatalf("the shim counted %d calls for one allowed call", len(emu.Requests())-before)
	}

	ddb := map[string]string{"Content-Type": "application/x-amz-json-1.0", "X-Amz-Target": "DynamoDB_20120810.ListTables"}
	form := map[string]string{"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"}
	cases := []hostile{
		{name: "s3 dot-dot segment", service: "s3", method: "GET", path: "/victim/x/..", query: "acl",
			want: []string{"InvalidRequest"}},
		{name: "s3 encoded dot-dot segment", service: "s3", method: "GET", path: "/victim/x/%2E%2E", query: "tagging",
			want: []string{"InvalidRequest"}},
		{name: "s3 dot segment", service: "s3", method: "PUT", path: "/victim/./k", body: "data",
			want: []string{"InvalidRequest"}},
		{name: "query Action in URL and body", service: "iam", method: "POST", path: "/", query: "Action=CreateAccessKey&Version=2010-05-08",
			header: form, body: "Action=ListUsers&Version=2010-05-08", want: []string{"MalformedQueryString"}},
		{name: "query parameter in URL and body", service: "sns", method: "POST", path: "/", query: "TopicArn=arn%3Aaws%3Asns%3Aus-east-1%3A000000000000%3Ab",
			header: form, body: "Action=GetTopicAttributes&Version=2010-03-31&TopicArn=arn%3Aaws%3Asns%3Aus-east-1%3A000000000000%3Aa",
			want: []string{"MalformedQueryString"}},
		{name: "query duplicate Action", service: "iam", method: "POST", path: "/", header: form,
			body: "Action=ListUsers&Action=CreateAccessKey&Version=2010-05-08", want: []string{"MalformedQueryString"}},
		{name: "query case-variant Action", service: "iam", method: "POST", path: "/", header: form,
			body: "Action=ListUsers&action=CreateAccessKey&Version=2010-05-08", want: []string{"MalformedQueryString"}},
		{name: "s3 x-id disagrees with the route", service: "s3", method: "GET", path: "/victim", query: "x-id=DeleteBucket",
			want: []string{"InvalidRequest"}},
		{name: "s3 unmodelled sub-resource", service: "s3", method: "GET", path: "/victim", query: "list-type=2&delete",
			want: []string{"InvalidRequest"}},
		{name: "json target with a form body", service: "dynamodb", method: "POST", path: "/",
			header: map[string]string{"Content-Type": "application/x-www-form-urlencoded", "X-Amz-Target": "DynamoDB_20120810.ListTables"},
			body:   "Action=DeleteTable&TableName=t", want: []string{"SerializationException"}},
		{name: "json keys differing in case", service: "dynamodb", method: "POST", path: "/",
			header: map[string]string{"Content-Type": "application/x-amz-json-1.0", "X-Amz-Target": "DynamoDB_20120810.DescribeTable"},
			body:   `{"TableName":"a","tablename":"b"}`, want: []string{"SerializationException"}},
		{name: "json duplicate keys", service: "dynamodb", method: "POST", path: "/",
			header: map[string]string{"Content-Type": "application/x-amz-json-1.0", "X-Amz-Target": "DynamoDB_20120810.DescribeTable"},
			body:   `{"TableName":"a","TableName":"b"}`, want: []string{"SerializationException"}},
		{name: "unsigned x-amz-copy-source", service: "s3", method: "PUT", path: "/victim/copy", body: "x",
			unsigned: map[string]string{"X-Amz-Copy-Source": "/other/secret"}, want: []string{"AccessDenied", "InvalidRequest", "unsigned"}},
		{name: "UNSIGNED-PAYLOAD outside S3", service: "dynamodb", method: "POST", path: "/", header: ddb, body: "{}",
			payloadHash: "UNSIGNED-PAYLOAD", want: []string{"UNSIGNED-PAYLOAD", "payload"}},
		// The second look (red team): each of these was allowed and
		// reached the emulator before its refusal was added.
		{name: "percent-encoded per-service prefix", service: "s3", method: "GET", path: "/svc%2Fs3/victim",
			want: []string{"InvalidRequest"}},
		{name: "s3 encoded slash in the bucket", service: "s3", method: "GET", path: "/victim%2Fx", query: "list-type=2",
			want: []string{"InvalidRequest"}},
		{name: "method override header", service: "s3", method: "GET", path: "/victim/k",
			header: map[string]string{"X-HTTP-Method-Override": "DELETE"}, want: []string{"InvalidRequest"}},
		{name: "query list index with a leading zero", service: "ec2", method: "POST", path: "/", header: form,
			body: "Action=DescribeInstances&Version=2016-11-15&InstanceId.1=i-1&InstanceId.01=i-2", want: []string{"index"}},
		{name: "query member spelled otherwise than the model", service: "sns", method: "POST", path: "/", header: form,
			body: "Action=GetTopicAttributes&Version=2010-03-31&topicArn=arn%3Aaws%3Asns%3Aus-east-1%3A000000000000%3Aa", want: []string{"spelled"}},
		{name: "rest-json body naming a label of an operation without body members", service: "lambda", method: "GET",
			path: "/2015-03-31/functions/sandbox", body: `{"FunctionName":"prod"}`, want: []string{"also bound"}},
		{name: "pseudo-region that runs in us-east-1", service: "s3", method: "GET", path: "/victim", query: "list-type=2",
			region: "aws-global", want: []string{"us-east-1"}},
		// Permission changes carried by parameters of a write: the dev
		// policy's "no permission changes" must catch them.
		{name: "upload that makes the object public", service: "s3", method: "PUT", path: "/victim/public", body: "x",
			header: map[string]string{"X-Amz-Acl": "public-read"}, want: []string{"AccessDenied"}},
		{name: "queue created with a policy", service: "sqs", method: "POST", path: "/", header: form,
			body: "Action=CreateQueue&Version=2012-11-05&QueueName=open&Attribute.1.Name=Policy&Attribute.1.Value=%7B%7D", want: []string{"AccessDenied"}},
		{name: "cbor unknown tag", service: "monitoring", method: "POST", path: "/service/GraniteServiceVersion20100801/operation/ListMetrics",
			header: map[string]string{"Smithy-Protocol": "rpc-v2-cbor", "Content-Type": "application/cbor"},
			body:   "\xa1\x69Namespace\xd8\x20\x61x", want: []string{"tag 32"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			before := len(emu.Requests())
			status, body := sendSigned(t, endpoint, creds, c, c.service == "s3")
			if status < 400 || status >= 500 {
				t.Fatalf("answered %d, want a 4xx refusal: %s", status, body)
			}
			if !containsAny(body, c.want) {
				t.Fatalf("answer names none of %q: %s", c.want, body)
			}
			if n := len(emu.Requests()) - before; n != 0 {
				t.Fatalf("the upstream saw %d call(s) for a refused request", n)
			}
		})
	}

	t.Run("sigv2 presigned url", func(t *testing.T) {
		before := len(emu.Requests())
		u := endpoint + "/victim/k?AWSAccessKeyId=" + creds.AccessKeyID + "&Expires=4102444800&Signature=abc%3D"
		status, body := get(t, u)
		if status != http.StatusForbidden && status != http.StatusBadRequest {
			t.Fatalf("answered %d: %s", status, body)
		}
		if !strings.Contains(body, "signature_version s3v4") {
			t.Fatalf("answer does not say how to presign: %s", body)
		}
		if len(emu.Requests()) != before {
			t.Fatal("the upstream saw a call")
		}
	})

	t.Run("replayed signature", func(t *testing.T) {
		// A state-changing call is single-use (read-only calls may repeat:
		// botocore signs identical calls within one second identically).
		c := hostile{service: "s3", method: "PUT", path: "/victim/replayed", body: "once"}
		req := signedRequest(t, endpoint, creds, c, true, time.Now())
		raw := cloneRequest(t, req)
		before := len(emu.Requests())
		if status, body := do(t, req); status != http.StatusOK {
			t.Fatalf("first use: %d %s", status, body)
		}
		status, body := do(t, raw)
		if status < 400 || status >= 500 || !containsAny(body, []string{"already", "replay"}) {
			t.Fatalf("replay answered %d: %s", status, body)
		}
		if n := len(emu.Requests()) - before; n != 1 {
			t.Fatalf("the upstream saw %d calls for one call and its replay", n)
		}
	})
}

// sendSigned signs c with the agent's credentials as an SDK would and
// sends it.
func sendSigned(t *testing.T, endpoint string, creds aws.Credentials, c hostile, s3 bool) (int, string) {
	t.Helper()
	return do(t, signedRequest(t, endpoint, creds, c, s3, time.Now()))
}

func signedRequest(t *testing.T, endpoint string, creds aws.Credentials, c hostile, s3 bool, at time.Time) *http.Request {
	t.Helper()
	u := endpoint + c.path
	if c.query != "" {
		u += "?" + c.query
	}
	req, err := http.NewRequest(c.method, u, strings.NewReader(c.body))
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range c.header {
		req.Header.Set(k, v)
	}
	sum := sha256.Sum256([]byte(c.body))
	hash := hex.EncodeToString(sum[:])
	if c.payloadHash != "" {
		hash = c.payloadHash
	}
	if s3 || c.payloadHash != "" {
		req.Header.Set("X-Amz-Content-Sha256", hash)
	}
	signer := v4.NewSigner(func(o *v4.SignerOptions) { o.DisableURIPathEscaping = s3 })
	region := c.region
	if region == "" {
		region = "us-east-1"
	}
	if err := signer.SignHTTP(context.Background(), creds, req, hash, c.service, region, at); err != nil {
		t.Fatal(err)
	}
	for k, v := range c.unsigned {
		req.Header.Set(k, v)
	}
	return req
}

func cloneRequest(t *testing.T, r *http.Request) *http.Request {
	t.Helper()
	body, err := io.ReadAll(r.Body)
	if err != nil {
		t.Fatal(err)
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	c := r.Clone(context.Background())
	c.Body = io.NopCloser(bytes.NewReader(body))
	return c
}

func do(t *testing.T, req *http.Request) (int, string) {
	t.Helper()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func get(t *testing.T, u string) (int, string) {
	t.Helper()
	req, err := http.NewRequest("GET", u, nil)
	if err != nil {
		t.Fatal(err)
	}
	return do(t, req)
}

func containsAny(s string, subs []string) bool {
	for _, sub := range subs {
		if strings.Contains(s, sub) {
			return true
		}
	}
	return false
}

func exportMap(env []string) map[string]string {
	m := map[string]string{}
	for _, kv := range env {
		if k, v, ok := strings.Cut(kv, "="); ok {
			m[k] = v
		}
	}
	return m
}
