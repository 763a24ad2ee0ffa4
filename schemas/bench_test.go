package schemas

import (
	"encoding/json"
	"testing"
	"time"
)

// benchRequest is a request.received like the ingress publishes for a
// small DynamoDB PutItem from aws-sdk-go-v2.
func benchRequest() *RequestReceived {
	body := []byte(`{"Item":{"pk":{"S":"k42"},"n":{"N":"42"},"v":{"S":"a small item of about a hundred bytes, as agents write"}},"TableName":"bench"}`)
	return &RequestReceived{
		ReplyTo: "ingress-1", Principal: Principal{Subject: "bench-0", Issuer: "http://127.0.0.1:9999/oidc", Groups: []string{"sandbox"}},
		SessionID: "ASIAJITGATE0123456789", Role: "arn:aws:iam::000000000000:role/jitgate-bench-agent", Source: "127.0.0.1",
		Service: "dynamodb", Operation: "PutItem", Protocol: "json", SigningName: "dynamodb", Region: "us-east-1",
		Params: json.RawMessage(`{"TableName":"bench","Item":{"pk":{"S":"k42"}}}`),
		HTTP: HTTPRequest{Method: "POST", Path: "/", Headers: []Header{
			{Name: "Content-Type", Value: "application/x-amz-json-1.0"},
			{Name: "X-Amz-Target", Value: "DynamoDB_20120810.PutItem"},
			{Name: "Amz-Sdk-Invocation-Id", Value: "0b6c1a52-8f0e-4a59-9d7c-9c2c5d3b6a11"},
			{Name: "Amz-Sdk-Request", Value: "attempt=1; max=1"},
			{Name: "User-Agent", Value: "aws-sdk-go-v2/1.48.0 ua/2.1 os/linux lang/go#1.26.8 md/GOOS#linux md/GOARCH#amd64 api/dynamodb#1.74.0"},
			{Name: "X-Amz-Content-Sha256", Value: "3a2f6f1b0f0ef1f4e0f5b0b8f2d2c4e6a8b0c2d4e6f8a0b2c4d6e8f0a2b4c6d8"},
		}, SignedHeaders: []string{"amz-sdk-invocation-id", "amz-sdk-request", "content-length", "content-type", "host", "x-amz-content-sha256", "x-amz-date", "x-amz-security-token", "x-amz-target"},
			Body: body, BodySize: int64(len(body))},
		Deadline: time.Date(2026, 12, 1, 12, 0, 30, 0, time.UTC),
	}
}

// BenchmarkEvent measures the event work every call costs each stage:
// sealing and encoding the events it writes, decoding and verifying the
// ones it reads. MB/s is of the encoded envelope.
func BenchmarkEvent(b *testing.B) {
	key := make([]byte, 32)
	at := time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
	req := benchRequest()
	decision := &DecisionMade{RequestID: "req-1", Outcome: Allow, Rule: "sandbox-allow", Reason: "sandbox agents may create, read and write",
		PolicyHash: "9f86d081884c7d659a2feaa0c55ad015", Request: *req}
	cases := []struct {
		name     string
		payload  Payload
		producer string
	}{
		{"request.received", req, ProducerName(RoleIngress, "ingress-1")},
		{"decision.made", decision, ProducerName(RoleDecider, "decider-1")},
	}
	for _, tc := range cases {
		encode := func() []byte {
			env, err := NewEnvelope("ev-1", "req-1", tc.producer, at, tc.payload)
			if err != nil {
				b.Fatal(err)
			}
			if err := Seal(&env, key); err != nil {
				b.Fatal(err)
			}
			raw, err := env.Marshal()
			if err != nil {
				b.Fatal(err)
			}
			return raw
		}
		wire := encode()
		b.Run(tc.name+"/seal-encode", func(b *testing.B) {
			b.SetBytes(int64(len(wire)))
			b.ReportAllocs()
			for b.Loop() {
				encode()
			}
		})
		b.Run(tc.name+"/decode-verify", func(b *testing.B) {
			b.SetBytes(int64(len(wire)))
			b.ReportAllocs()
			for b.Loop() {
				env, err := Unmarshal(wire)
				if err != nil {
					b.Fatal(err)
				}
				if err := Verify(env, key); err != nil {
					b.Fatal(err)
				}
				if _, err := env.Decode(); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
