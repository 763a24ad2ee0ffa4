package sts

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	awssts "github.com/aws/aws-sdk-go-v2/service/sts"
	smithy "github.com/aws/smithy-go"

	"github.com/jitgate/jitgate/internal/session"
)

// These tests drive the endpoint with real SDKs, which parse the XML
// strictly and are what agents use.

func goSTS(endpoint string, creds aws.CredentialsProvider) *awssts.Client {
	return awssts.New(awssts.Options{
		Region:       "us-east-1",
		BaseEndpoint: aws.String(endpoint),
		Credentials:  creds,
	})
}

func TestGoSDK(t *testing.T) {
	e := newEnv(t, nil)
	endpoint := serveSTS(t, e.svc, e.sealer)
	ctx := context.Background()
	token := mint(t, e.trusted, map[string]any{"sub": "agent-1", "aud": testAudience, "groups": []string{"agents"}})

	out, err := goSTS(endpoint, aws.AnonymousCredentials{}).AssumeRoleWithWebIdentity(ctx, &awssts.AssumeRoleWithWebIdentityInput{
		RoleArn:          aws.String(testRole),
		RoleSessionName:  aws.String("go-sdk"),
		WebIdentityToken: aws.String(token),
	})
	if err != nil {
		t.Fatal(err)
	}
	c := out.Credentials
	if !session.IsAccessKeyID(aws.ToString(c.AccessKeyId)) || len(aws.ToString(c.SecretAccessKey)) != session.SecretAccessKeyLen {
		t.Fatalf("credentials shape: %q", aws.ToString(c.AccessKeyId))
	}
	if time.Until(aws.ToTime(c.Expiration)) < 59*time.Minute {
		t.Errorf("expires %v, want at least an hour away", c.Expiration)
	}
	if _, err := e.sealer.Open(aws.ToString(c.AccessKeyId), aws.ToString(c.SessionToken), time.Now()); err != nil {
		t.Fatalf("session.Open: %v", err)
	}
	if aws.ToString(out.AssumedRoleUser.Arn) != "arn:aws:sts::123456789012:assumed-role/reader/go-sdk" ||
		aws.ToString(out.SubjectFromWebIdentityToken) != "agent-1" || aws.ToString(out.Audience) != testAudience {
		t.Errorf("output: %+v %+v", out.AssumedRoleUser, out)
	}

	// The issued credentials sign GetCallerIdentity, answered by the gateway.
	creds := credentials.NewStaticCredentialsProvider(aws.ToString(c.AccessKeyId), aws.ToString(c.SecretAccessKey), aws.ToString(c.SessionToken))
	who, err := goSTS(endpoint, creds).GetCallerIdentity(ctx, &awssts.GetCallerIdentityInput{})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(who.Arn) != aws.ToString(out.AssumedRoleUser.Arn) || aws.ToString(who.Account) != "123456789012" ||
		aws.ToString(who.UserId) != aws.ToString(out.AssumedRoleUser.AssumedRoleId) {
		t.Errorf("caller identity %s %s %s", aws.ToString(who.Arn), aws.ToString(who.Account), aws.ToString(who.UserId))
	}

	// Errors reach the SDK with their STS code.
	_, err = goSTS(endpoint, aws.AnonymousCredentials{}).AssumeRoleWithWebIdentity(ctx, &awssts.AssumeRoleWithWebIdentityInput{
		RoleArn:          aws.String(testRole),
		RoleSessionName:  aws.String("go-sdk"),
		WebIdentityToken: aws.String(mint(t, e.untrusted, map[string]any{"sub": "x", "aud": testAudience})),
	})
	var apiErr smithy.APIError
	if !errors.As(err, &apiErr) || apiErr.ErrorCode() != "InvalidIdentityToken" {
		t.Fatalf("untrusted issuer: %v", err)
	}
}

const boto3Script = `
import json, os, sys
import boto3, botocore
sts = boto3.client("sts", endpoint_url=os.environ["STS_URL"], region_name="us-east-1")
try:
    out = sts.assume_role_with_web_identity(
        RoleArn=os.environ["ROLE"], RoleSessionName="boto3",
        WebIdentityToken=open(os.environ["TOKEN_FILE"]).read())
except botocore.exceptions.ClientError as e:
    print(json.dumps({"error": e.response["Error"]["Code"]}))
    sys.exit(0)
c = out["Credentials"]
print(json.dumps({"AccessKeyId": c["AccessKeyId"], "SessionToken": c["SessionToken"],
    "Expiration": c["Expiration"].isoformat(), "Arn": out["AssumedRoleUser"]["Arn"]}))
`

func TestBoto3(t *testing.T) {
	if _, err := exec.LookPath("python3"); err != nil {
		t.Skip("python3 not installed")
	}
	if err := exec.Command("python3", "-c", "import boto3").Run(); err != nil {
		t.Skip("boto3 not installed")
	}
	e := newEnv(t, nil)
	tests := []struct {
		name      string
		token     string
		wantError string
	}{
		{"valid", mint(t, e.trusted, map[string]any{"sub": "agent-1", "aud": testAudience}), ""},
		{"wrong audience", mint(t, e.trusted, map[string]any{"sub": "agent-1", "aud": "nope"}), "InvalidIdentityToken"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			tokenFile := filepath.Join(dir, "token")
			if err := os.WriteFile(tokenFile, []byte(tt.token), 0o600); err != nil {
				t.Fatal(err)
			}
			cmd := exec.Command("python3", "-c", boto3Script)
			cmd.Env = append(withoutAWSEnv(),
				"STS_URL="+e.url, "ROLE="+testRole, "TOKEN_FILE="+tokenFile,
				"AWS_CONFIG_FILE="+filepath.Join(dir, "none"), "AWS_SHARED_CREDENTIALS_FILE="+filepath.Join(dir, "none"),
				"AWS_EC2_METADATA_DISABLED=true", "AWS_MAX_ATTEMPTS=1")
			stdout, err := cmd.Output()
			if err != nil {
				var ee *exec.ExitError
				if errors.As(err, &ee) {
					t.Fatalf("boto3: %v\n%s", err, ee.Stderr)
				}
				t.Fatal(err)
			}
			var got struct {
				Error, AccessKeyId, SessionToken, Expiration, Arn string
			}
			if err := json.Unmarshal(stdout, &got); err != nil {
				t.Fatalf("boto3 printed %q: %v", stdout, err)
			}
			if tt.wantError != "" {
				if got.Error != tt.wantError {
					t.Fatalf("boto3 error %q, want %q", got.Error, tt.wantError)
				}
				return
			}
			if !session.IsAccessKeyID(got.AccessKeyId) {
				t.Fatalf("boto3 AccessKeyId %q does not parse as a jitgate key id", got.AccessKeyId)
			}
			exp, err := time.Parse(time.RFC3339, got.Expiration)
			if err != nil {
				t.Fatal(err)
			}
			if time.Until(exp) < 59*time.Minute {
				t.Errorf("boto3 sees expiry %v, want at least an hour away", exp)
			}
			if _, err := e.sealer.Open(got.AccessKeyId, got.SessionToken, time.Now()); err != nil {
				t.Fatalf("session.Open of boto3's token: %v", err)
			}
			if !strings.HasSuffix(got.Arn, ":assumed-role/reader/boto3") {
				t.Errorf("Arn %q", got.Arn)
			}
		})
	}
}

// withoutAWSEnv is the environment less any AWS_ setting of the machine's, so
// boto3 sees only what the test sets.
func withoutAWSEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "AWS_") {
			env = append(env, kv)
		}
	}
	return env
}
