package ingress

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	awssts "github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/jitgate/jitgate/internal/session"
	"github.com/jitgate/jitgate/schemas"
)

func TestGetCallerIdentityAnsweredByGateway(t *testing.T) {
	e := newEnv(t, envOpts{})
	creds := e.agentCreds("agent-1")
	out, err := e.sts(static(creds)).GetCallerIdentity(context.Background(), &awssts.GetCallerIdentityInput{})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := aws.ToString(out.Arn), "arn:aws:sts::123456789012:assumed-role/reader/test-agent-1"; got != want {
		t.Errorf("Arn %q, want %q", got, want)
	}
	if aws.ToString(out.Account) != "123456789012" || !strings.HasSuffix(aws.ToString(out.UserId), ":test-agent-1") {
		t.Errorf("Account %q UserId %q", aws.ToString(out.Account), aws.ToString(out.UserId))
	}
	// Recorded like any call, marked answered so that no stage acts on it.
	outs := e.pub.published()
	if len(outs) != 2 || outs[0].Topic != schemas.TopicRequests || outs[1].Topic != schemas.TopicResponses {
		t.Fatalf("published %d events for GetCallerIdentity, want request.received and response.ready", len(outs))
	}
	req, err := schemas.DecodeAs[*schemas.RequestReceived](outs[0].Envelope)
	if err != nil || !req.Answered || req.ReplyTo != "" || req.Operation != "GetCallerIdentity" || req.Principal.Subject != "agent-1" {
		t.Fatalf("request.received = %+v (%v)", req, err)
	}
	ready, err := schemas.DecodeAs[*schemas.ResponseReady](outs[1].Envelope)
	if err != nil || ready.Outcome != schemas.OutcomeExecuted || ready.Response.Status != http.StatusOK || outs[1].Envelope.RequestID != outs[0].Envelope.RequestID {
		t.Fatalf("response.ready = %+v (%v)", ready, err)
	}
}

func TestSTSRefusals(t *testing.T) {
	e := newEnv(t, envOpts{})
	good := e.agentCreds("agent-1")
	// A session that ran out an hour ago, sealed by the gateway's own key.
	expired, token, err := e.sealer.Issue(session.Principal{Subject: "agent-1", Issuer: e.iss.URL()}, testRole, "old", time.Hour, time.Now().Add(-2*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	// A session sealed by another gateway's key.
	other, err := session.NewSealer(session.GenerateKey())
	if err != nil {
		t.Fatal(err)
	}
	foreign, foreignToken, err := other.Issue(session.Principal{Subject: "agent-1", Issuer: e.iss.URL()}, testRole, "x", time.Hour, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	wrongSecret := good
	wrongSecret.SecretAccessKey = strings.Repeat("z", 40)
	otherKeyID := good
	otherKeyID.AccessKeyID = e.agentCreds("agent-2").AccessKeyID
	cases := []struct {
		name  string
		creds aws.Credentials
		code  string
		msg   string
	}{
		{"expired session", aws.Credentials{AccessKeyID: expired.AccessKeyID, SecretAccessKey: expired.SecretAccessKey, SessionToken: token},
			"ExpiredToken", "session has expired"},
		{"wrong secret", wrongSecret, "SignatureDoesNotMatch", "signature does not match"},
		{"token of another session", otherKeyID, "InvalidClientTokenId", "unknown or expired credentials"},
		{"token sealed elsewhere", aws.Credentials{AccessKeyID: foreign.AccessKeyID, SecretAccessKey: foreign.SecretAccessKey, SessionToken: foreignToken},
			"InvalidClientTokenId", "unknown or expired credentials"},
		{"no token", aws.Credentials{AccessKeyID: good.AccessKeyID, SecretAccessKey: good.SecretAccessKey},
			"InvalidClientTokenId", "unknown or expired credentials"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			prov := credentials.NewStaticCredentialsProvider(c.creds.AccessKeyID, c.creds.SecretAccessKey, c.creds.SessionToken)
			_, err := e.sts(prov).GetCallerIdentity(context.Background(), &awssts.GetCallerIdentityInput{})
			checkAPIError(t, e, err, http.StatusForbidden, c.code, c.msg)
		})
	}
	if n := len(e.pub.published()); n != 0 {
		t.Errorf("%d events published", n)
	}
}

func TestAssumeRoleWithWebIdentityRefusals(t *testing.T) {
	e := newEnv(t, envOpts{})
	strangerToken, err := e.stranger.Mint("agent-1", []string{"agents"}, testAudience, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	wrongAud, err := e.iss.Mint("agent-1", nil, "someone-else", time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name, token, code, msg string
	}{
		{"unknown issuer", strangerToken, "InvalidIdentityToken", "No OpenIDConnect provider trusted"},
		{"wrong audience", wrongAud, "InvalidIdentityToken", ""},
		{"not a JWT", "not-a-jwt", "InvalidIdentityToken", "not a well-formed JWT"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := e.sts(aws.AnonymousCredentials{}).AssumeRoleWithWebIdentity(context.Background(), &awssts.AssumeRoleWithWebIdentityInput{
				RoleArn: aws.String(testRole), RoleSessionName: aws.String("s1"), WebIdentityToken: aws.String(c.token),
			})
			checkAPIError(t, e, err, http.StatusBadRequest, c.code, c.msg)
		})
	}
	t.Run("role not on the allow-list", func(t *testing.T) {
		_, err := e.sts(aws.AnonymousCredentials{}).AssumeRoleWithWebIdentity(context.Background(), &awssts.AssumeRoleWithWebIdentityInput{
			RoleArn: aws.String("arn:aws:iam::210987654321:role/admin"), RoleSessionName: aws.String("s1"), WebIdentityToken: aws.String(e.mint("agent-1", "agents")),
		})
		checkAPIError(t, e, err, http.StatusForbidden, "AccessDenied", "--allowed-roles")
	})
	if n := len(e.pub.published()); n != 0 {
		t.Errorf("%d events published", n)
	}
}
