package notify

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/jitgate/jitgate/schemas"
)

var testSecret = []byte("0123456789abcdef0123456789abcdef")

var t0 = time.Date(2026, 5, 1, 10, 0, 0, 0, time.UTC)

const testRequestID = "6f1c2a9e-1b2c-4d3e-8f90-123456789abc"

// testHold is a hold on an S3 call whose parameters include a value that
// must never appear in a notification.
func testHold(t testing.TB) *schemas.HoldOpened {
	t.Helper()
	params, err := json.Marshal(map[string]any{
		"Bucket":         "prod-logs",
		"Key":            "customers/alice@example.com.csv",
		"SSECustomerKey": "c2VjcmV0LWtleS1tYXRlcmlhbA==",
	})
	if err != nil {
		t.Fatal(err)
	}
	return &schemas.HoldOpened{
		Request: schemas.RequestReceived{
			Principal: schemas.Principal{Subject: "system:serviceaccount:ci:deployer", Issuer: "https://issuer.test"},
			Role:      "arn:aws:iam::123456789012:role/deployer",
			Service:   "s3",
			Operation: "PutObject",
			Region:    "eu-west-1",
			Params:    params,
		},
		Rule:   "prod-writes",
		Reason: "writes to prod buckets need a human",
		Terms: schemas.HoldTerms{
			Approvers: []string{"sre", "security"},
			Approvals: 2,
			Expires:   t0.Add(15 * time.Minute),
		},
	}
}

func envelope(t testing.TB, requestID string, p schemas.Payload) schemas.Envelope {
	t.Helper()
	env, err := schemas.NewEnvelope("evt-"+string(p.EventType()), requestID, "test", t0, p)
	if err != nil {
		t.Fatal(err)
	}
	return env
}
