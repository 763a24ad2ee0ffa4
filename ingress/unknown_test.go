package ingress

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/jitgate/jitgate/schemas"
)

// The masker's answer to a call whose outcome is unknown (masker/unknown.go):
// 409 OutcomeUnknown, a status and code no SDK retries by itself.
const (
	unknownStatus = http.StatusConflict
	unknownCode   = "OutcomeUnknown"
	unknownMsg    = "jitgate cannot tell whether request req-x ran: the call may or may not have taken effect. Check the resource's state before you retry"
)

func outcomeUnknown(status int, code string) func(*schemas.RequestReceived) []schemas.Payload {
	return func(*schemas.RequestReceived) []schemas.Payload {
		return []schemas.Payload{&schemas.ResponseReady{Outcome: schemas.OutcomeUnknown,
			Error: &schemas.APIError{Status: status, Code: code, Message: unknownMsg}}}
	}
}

// TestOutcomeUnknownErrorShapes: every SDK reads the outcome-unknown answer
// as an AWS error in its own protocol, with the code, the message and the
// gateway's request id.
func TestOutcomeUnknownErrorShapes(t *testing.T) {
	e := newEnv(t, envOpts{})
	creds := static(e.agentCreds("agent-1"))
	e.pub.setRespond(outcomeUnknown(unknownStatus, unknownCode))
	for _, f := range families {
		t.Run(f.name, func(t *testing.T) {
			err := f.call(context.Background(), e, creds)
			checkAPIError(t, e, err, unknownStatus, unknownCode, "Check the resource's state before you retry")
		})
	}
}

// TestOutcomeUnknownIsNotRetriedBySDKs: with the SDK's standard retryer,
// the outcome-unknown answer reaches the agent after one attempt, while a
// 503 (the control) is retried: an SDK must never run again by itself a
// call that may have taken effect.
func TestOutcomeUnknownIsNotRetriedBySDKs(t *testing.T) {
	e := newEnv(t, envOpts{})
	creds := static(e.agentCreds("agent-1"))
	retrying := func(o *retry.StandardOptions) {
		o.MaxAttempts = 3
		o.Backoff = retry.BackoffDelayerFunc(func(int, error) (time.Duration, error) { return 0, nil })
	}
	calls := []struct {
		name string
		call func(ctx context.Context) error
	}{
		{"dynamodb json", func(ctx context.Context) error {
			_, err := e.dynamodb(creds).ListTables(ctx, &dynamodb.ListTablesInput{},
				func(o *dynamodb.Options) { o.Retryer = retry.NewStandard(retrying) })
			return err
		}},
		{"s3 rest-xml", func(ctx context.Context) error {
			_, err := e.s3(creds).ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String("logs")},
				func(o *s3.Options) { o.Retryer = retry.NewStandard(retrying) })
			return err
		}},
	}
	answers := []struct {
		name   string
		status int
		code   string
		want   int // attempts
	}{
		{"outcome unknown", unknownStatus, unknownCode, 1},
		{"service unavailable (control)", http.StatusServiceUnavailable, "ServiceUnavailable", 3},
	}
	for _, c := range calls {
		for _, a := range answers {
			t.Run(c.name+"/"+a.name, func(t *testing.T) {
				e.pub.reset()
				e.pub.setRespond(outcomeUnknown(a.status, a.code))
				if err := c.call(context.Background()); err == nil {
					t.Fatal("no error")
				}
				n := 0
				for _, o := range e.pub.published() {
					if o.Envelope.Type == schemas.TypeRequestReceived {
						n++
					}
				}
				if n != a.want {
					t.Errorf("the SDK sent the call %d times, want %d", n, a.want)
				}
			})
		}
	}
}
