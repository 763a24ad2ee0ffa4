package recorder

import (
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/jitgate/jitgate/internal/bus"
	"github.com/jitgate/jitgate/schemas"
)

// Secrets the fixture plants; none may appear anywhere in ClickHouse.
const (
	authHeader    = "AWS4-HMAC-SHA256 Credential=ASIAJITGATE/20260101/us-east-1/iam/aws4_request, SignedHeaders=host;x-amz-date, Signature=5ec7e75ec7e7deadbeef"
	sessionToken  = "FwoGZXIvYXdzJITGATESESSIONTOKEN0123456789"
	rawSecret     = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYRAWSECRET"
	readySecret   = "MASKERMISSEDTHISSECRET"
	passwordParam = "hunter2PASSWORDsecret"
	cookieValue   = "sessionid=COOKIESECRET"
)

var allSecrets = []string{"Signature=5ec7e75ec7e7deadbeef", sessionToken, rawSecret, readySecret, passwordParam, "COOKIESECRET"}

// outputs returns the events of one request's life, in order, with secrets
// planted where real events could carry them.
func outputs(t testing.TB, requestID string, start time.Time) []bus.Output {
	t.Helper()
	req := schemas.RequestReceived{
		ReplyTo:   "ingress/a",
		Principal: schemas.Principal{Subject: "agent-7", Issuer: "https://idp", Groups: []string{"agents", "ci"}},
		SessionID: "ASIAJITGATE",
		Role:      "arn:aws:iam::123456789012:role/admin",
		Source:    "10.0.0.7",
		Service:   "iam", Operation: "CreateLoginProfile", Protocol: "query", SigningName: "iam", Region: "us-east-1",
		Params: json.RawMessage(`{"UserName":"bob","Password":"` + passwordParam + `"}`),
		HTTP: schemas.HTTPRequest{
			Method: "POST", Path: "/",
			Headers: []schemas.Header{
				{Name: "Content-Type", Value: "application/x-www-form-urlencoded; charset=utf-8"},
				{Name: "Authorization", Value: authHeader},
				{Name: "X-Amz-Security-Token", Value: sessionToken},
				{Name: "Cookie", Value: cookieValue},
			},
			Body: []byte("Action=CreateLoginProfile&Version=2010-05-08&UserName=bob&Password=" + passwordParam),
		},
		Deadline: start.Add(30 * time.Second),
	}
	req.HTTP.BodySize = int64(len(req.HTTP.Body))
	rawBody := `{"AccessKey":{"AccessKeyId":"AKIAEXAMPLE","SecretAccessKey":"` + rawSecret + `","SessionToken":"` + sessionToken + `"}}`
	readyBody := `{"AccessKey":{"AccessKeyId":"AKIAEXAMPLE","SecretAccessKey":"` + readySecret + `"}}`
	payloads := []struct {
		topic string
		p     schemas.Payload
	}{
		{schemas.TopicRequests, &req},
		{schemas.TopicDecisions, &schemas.DecisionMade{Outcome: schemas.Allow, Rule: "iam-admins", Reason: "matched", Request: req}},
		{schemas.TopicExecutions, &schemas.ExecutionStarted{Attempt: 1, Endpoint: "https://iam.amazonaws.com/", ReplyTo: "ingress/a"}},
		{schemas.TopicExecutions, &schemas.ExecutionFinished{
			ReplyTo: "ingress/a", Service: "iam", Operation: "CreateLoginProfile", Protocol: "query", DurationMS: 42,
			Response: schemas.HTTPResponse{
				Status:  200,
				Headers: []schemas.Header{{Name: "Content-Type", Value: "application/json"}, {Name: "X-Amz-Security-Token", Value: sessionToken}},
				Body:    []byte(rawBody), BodySize: int64(len(rawBody)),
			},
		}},
		{schemas.TopicResponses, &schemas.ResponseReady{
			ReplyTo: "ingress/a", Outcome: schemas.OutcomeExecuted,
			Response: &schemas.HTTPResponse{
				Status:  200,
				Headers: []schemas.Header{{Name: "Content-Type", Value: "application/x-amz-json-1.1"}, {Name: "Set-Cookie", Value: cookieValue}},
				Body:    []byte(readyBody), BodySize: int64(len(readyBody)),
			},
		}},
	}
	outs := make([]bus.Output, len(payloads))
	for i, p := range payloads {
		env, err := schemas.NewEnvelope(fmt.Sprintf("%s-e%d", requestID, i), requestID, "test/1", start.Add(time.Duration(i)*time.Millisecond), p.p)
		if err != nil {
			t.Fatal(err)
		}
		outs[i] = bus.Output{Topic: p.topic, Envelope: env}
	}
	return outs
}

// lifecycle returns outputs as consumed messages.
func lifecycle(t testing.TB, requestID string, start time.Time) []bus.Message {
	t.Helper()
	outs := outputs(t, requestID, start)
	ms := make([]bus.Message, len(outs))
	for i, o := range outs {
		raw, err := o.Envelope.Marshal()
		if err != nil {
			t.Fatal(err)
		}
		ms[i] = bus.Message{Topic: o.Topic, Partition: 3, Offset: int64(100 + i), Envelope: o.Envelope, Value: raw}
	}
	return ms
}

// lifecycleTypes are the event types of lifecycle, in order.
var lifecycleTypes = []string{"request.received", "decision.made", "execution.started", "execution.finished", "response.ready"}
