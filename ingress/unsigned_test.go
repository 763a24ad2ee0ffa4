package ingress

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
)

func TestUnsignedBodiesAreSmall(t *testing.T) {
	e := newEnv(t, envOpts{})
	big := strings.NewReader("Action=AssumeRoleWithWebIdentity&WebIdentityToken=" + strings.Repeat("x", maxUnsignedBody))
	resp, err := http.Post(e.url, "application/x-www-form-urlencoded", big)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusRequestEntityTooLarge {
		t.Fatalf("an unsigned %d-byte body got %d, want 413", maxUnsignedBody, resp.StatusCode)
	}
	if resp.Header.Get("X-Jitgate-Request-Id") == "" {
		t.Error("refusal without X-Jitgate-Request-Id")
	}
}

func TestAnswersNameTheGatewayRequestID(t *testing.T) {
	e := newEnv(t, envOpts{})
	e.pub.setRespond(ok(`{"TableNames":[]}`))
	if _, err := e.dynamodb(static(e.agentCreds("bot-1"))).ListTables(context.Background(), &dynamodb.ListTablesInput{}); err != nil {
		t.Fatal(err)
	}
	env, _ := e.pub.lastRequest(t)
	_, _, hdr := e.rec.last()
	if got := hdr.Get("X-Jitgate-Request-Id"); got != env.RequestID {
		t.Fatalf("X-Jitgate-Request-Id = %q, want the published request id %q", got, env.RequestID)
	}
}
