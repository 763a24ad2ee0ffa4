package row

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jitgate/jitgate/internal/bus"
	"github.com/jitgate/jitgate/internal/redact"
	"github.com/jitgate/jitgate/schemas"
)

const secret = "PLANTEDSECRET0123456789"

func builder(t testing.TB, bodyCap int) *Builder {
	t.Helper()
	e, err := redact.New([]redact.Rule{{Name: "notes", Fields: []string{"Note"}}})
	if err != nil {
		t.Fatal(err)
	}
	return NewBuilder(e, bodyCap)
}

func message(t testing.TB, topic string, p schemas.Payload) bus.Message {
	t.Helper()
	env, err := schemas.NewEnvelope("ev-1", "req-1", "test/1", time.Date(2026, 5, 6, 7, 8, 9, 10000, time.UTC), p)
	if err != nil {
		t.Fatal(err)
	}
	if schemas.IsChunk(env.Type) {
		// As the bus reads it: the data raw, the fields in headers.
		hs, value, err := schemas.EncodeChunk(env)
		if err != nil {
			t.Fatal(err)
		}
		back, err := schemas.DecodeChunk(hs, value)
		if err != nil {
			t.Fatal(err)
		}
		return bus.Message{Topic: topic, Partition: 1, Offset: 2, Envelope: back, Value: value, Headers: hs}
	}
	raw, err := env.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	return bus.Message{Topic: topic, Partition: 1, Offset: 2, Envelope: env, Value: raw}
}

func request(body string) schemas.RequestReceived {
	return schemas.RequestReceived{
		Principal: schemas.Principal{Subject: "agent", Groups: []string{"g"}},
		Service:   "secretsmanager", Operation: "PutSecretValue", Region: "eu-west-1", ReadOnly: true,
		Params: json.RawMessage(`{"SecretId":"db","Note":"` + secret + `"}`),
		HTTP: schemas.HTTPRequest{
			Method: "POST", Path: "/", RawQuery: "Note=" + secret,
			Headers: []schemas.Header{
				{Name: "Content-Type", Value: "application/x-amz-json-1.1"},
				{Name: "authorization", Value: secret},
				{Name: "X-Amz-Security-Token", Value: secret},
			},
			Body: []byte(body), BodySize: int64(len(body)),
		},
	}
}

func TestBuild(t *testing.T) {
	body := `{"SecretId":"db","Note":"` + secret + `","Pad":"` + strings.Repeat("x", 100) + `"}`
	rq := request(body)
	rawBody := `{"SecretAccessKey":"` + secret + `"}`
	raw := schemas.HTTPResponse{Status: 201, Body: []byte(rawBody), BodySize: int64(len(rawBody)),
		Headers: []schemas.Header{{Name: "Set-Cookie", Value: secret}, {Name: "X-Amz-Request-Id", Value: "r"}}}
	tests := []struct {
		name    string
		topic   string
		payload schemas.Payload
		bodyCap int
		check   func(t *testing.T, r Row)
	}{
		{"request masked and capped", schemas.TopicRequests, &rq, 40, func(t *testing.T, r Row) {
			if r.Principal != "agent" || r.Service != "secretsmanager" || r.Region != "eu-west-1" || r.ReadOnly != 1 || !slices.Equal(r.Groups, []string{"g"}) {
				t.Errorf("flattened %+v", r)
			}
			if len(r.Body) != 40 || !strings.HasPrefix(string(r.Body), `{"SecretId":"db","Note":"[REDACTED`) {
				t.Errorf("body %q", r.Body)
			}
			if r.BodySize != uint64(len(body)) {
				t.Errorf("body size %d", r.BodySize)
			}
			for _, n := range []string{"request.headers.authorization", "request.headers.x-amz-security-token", "request.body: truncated", "request.params: masked Note", "request.query: masked Note"} {
				if !slices.Contains(r.Redacted, n) {
					t.Errorf("redacted %q lacks %q", r.Redacted, n)
				}
			}
		}},
		{"request without body cap", schemas.TopicRequests, &rq, 0, func(t *testing.T, r Row) {
			if len(r.Body) != 0 || !slices.Contains(r.Redacted, "request.body: not kept (body cap 0)") {
				t.Errorf("body %q, redacted %q", r.Body, r.Redacted)
			}
		}},
		{"request body that does not parse is dropped", schemas.TopicRequests, ptr(request(`{"Note":"` + secret)), 4096, func(t *testing.T, r Row) {
			if len(r.Body) != 0 || !slices.Contains(r.Redacted, "request.body: dropped, cannot be masked") {
				t.Errorf("body %q, redacted %q", r.Body, r.Redacted)
			}
		}},
		{"decision", schemas.TopicDecisions, &schemas.DecisionMade{Outcome: schemas.Hold, Rule: "r1", Reason: "why", Request: rq,
			Hold: &schemas.HoldTerms{Approvers: []string{"sre"}}}, 4096, func(t *testing.T, r Row) {
			if r.Outcome != "hold" || r.Rule != "r1" || r.Reason != "why" || r.Principal != "agent" || !slices.Equal(r.Approvers, []string{"sre"}) || len(r.Body) != 0 {
				t.Errorf("row %+v", r)
			}
		}},
		{"raw execution", schemas.TopicExecutions, &schemas.ExecutionFinished{Service: "iam", Operation: "CreateAccessKey", DurationMS: 9, Response: raw}, 4096, func(t *testing.T, r Row) {
			if r.Status != 201 || r.DurationMS != 9 || len(r.Body) != 0 || r.BodySize != uint64(len(rawBody)) || r.Service != "iam" {
				t.Errorf("row %+v", r)
			}
		}},
		{"response ready", schemas.TopicResponses, &schemas.ResponseReady{Outcome: "executed", Response: &raw}, 4096, func(t *testing.T, r Row) {
			if r.Status != 201 || !strings.Contains(string(r.Body), redact.Mask) || !slices.Contains(r.Redacted, "response.headers.set-cookie") {
				t.Errorf("row %+v", r)
			}
		}},
		{"response error", schemas.TopicResponses, &schemas.ResponseReady{Outcome: "denied", Error: &schemas.APIError{Status: 403, Code: "AccessDenied", Message: "no"}}, 4096, func(t *testing.T, r Row) {
			if r.Status != 403 || r.Error != "AccessDenied: no" || r.Outcome != "denied" {
				t.Errorf("row %+v", r)
			}
		}},
		{"refused at the door, identified", schemas.TopicResponses, &schemas.RequestRefused{Outcome: schemas.OutcomeUnavailable, Reason: "broker down",
			Error: schemas.APIError{Status: 503, Code: "ServiceUnavailable", Message: "retry later"}, Principal: &schemas.Principal{Subject: "agent", Groups: []string{"g"}},
			Source: "10.0.0.1", Service: "dynamodb", Operation: "PutItem", SigningName: "dynamodb", Region: "eu-west-1"}, 4096, func(t *testing.T, r Row) {
			if r.Outcome != "unavailable" || r.Status != 503 || r.Error != "ServiceUnavailable: retry later" || r.Reason != "broker down" ||
				r.Principal != "agent" || !slices.Equal(r.Groups, []string{"g"}) || r.Service != "dynamodb" || r.Operation != "PutItem" || r.Region != "eu-west-1" || r.Source != "10.0.0.1" {
				t.Errorf("row %+v", r)
			}
		}},
		{"unauthenticated stranger", schemas.TopicResponses, &schemas.RequestRefused{Outcome: schemas.OutcomeUnauthenticated, Reason: "bad token",
			Error: schemas.APIError{Status: 403, Code: "InvalidClientTokenId", Message: "no"}, ClaimedAccessKeyID: "JGIAAAAAAAAAAAAAAAAA", SigningName: "s3"}, 4096, func(t *testing.T, r Row) {
			if r.Outcome != "unauthenticated" || r.Status != 403 || r.Principal != "" || r.SessionID != "" || r.Service != "s3" ||
				!strings.Contains(r.Payload, `"claimed_access_key_id":"JGIAAAAAAAAAAAAAAAAA"`) {
				t.Errorf("row %+v", r)
			}
		}},
		{"unauthenticated with an opened session", schemas.TopicResponses, &schemas.RequestRefused{Outcome: schemas.OutcomeUnauthenticated, Reason: "signature",
			Error: schemas.APIError{Status: 403, Code: "SignatureDoesNotMatch", Message: "no"}, Principal: &schemas.Principal{Subject: "agent"},
			ClaimedAccessKeyID: "JGIABBBBBBBBBBBBBBBB", SigningName: "dynamodb"}, 4096, func(t *testing.T, r Row) {
			if r.Outcome != "unauthenticated" || r.Principal != "agent" || r.SessionID != "JGIABBBBBBBBBBBBBBBB" {
				t.Errorf("row %+v", r)
			}
		}},
		{"throttled before identification", schemas.TopicResponses, &schemas.RequestRefused{Outcome: schemas.OutcomeThrottled, Reason: "limit",
			Error: schemas.APIError{Status: 503, Code: "SlowDown", Message: "slow down"}, SigningName: "s3"}, 4096, func(t *testing.T, r Row) {
			if r.Outcome != "throttled" || r.Status != 503 || r.Principal != "" || r.Service != "s3" || r.Operation != "" {
				t.Errorf("row %+v", r)
			}
		}},
		{"credential exchange", schemas.TopicResponses, &schemas.SessionIssued{Principal: schemas.Principal{Subject: "agent", Issuer: "https://iss", Groups: []string{"g"}},
			SessionID: "JGIACCCCCCCCCCCCCCCC", Role: "arn:aws:iam::123456789012:role/r", SessionName: "s", Expires: time.Date(2026, 12, 1, 13, 0, 0, 0, time.UTC),
			Source: "10.0.0.2", Replica: "i-1"}, 4096, func(t *testing.T, r Row) {
			if r.Outcome != "issued" || r.Status != 200 || r.Principal != "agent" || !slices.Equal(r.Groups, []string{"g"}) || r.SessionID != "JGIACCCCCCCCCCCCCCCC" ||
				r.Role != "arn:aws:iam::123456789012:role/r" || r.Source != "10.0.0.2" || r.Service != "sts" || r.Operation != "AssumeRoleWithWebIdentity" ||
				!strings.Contains(r.Payload, `"iss":"https://iss"`) {
				t.Errorf("row %+v", r)
			}
		}},
		{"raw chunk", schemas.TopicExecutions, &schemas.ResponseBodyChunk{Seq: 1, Data: []byte(secret)}, 4096, func(t *testing.T, r Row) {
			if r.BodySize != uint64(len(secret)) || len(r.Body) != 0 {
				t.Errorf("row %+v", r)
			}
		}},
		{"passed-through chunk", schemas.TopicResponses, &schemas.ResponseBodyChunk{ReplyTo: "ingress/i-1", Seq: 4, Data: []byte(secret), Last: true}, 4096, func(t *testing.T, r Row) {
			if r.BodySize != uint64(len(secret)) || len(r.Body) != 0 || !strings.Contains(r.Payload, `"seq":4`) || !strings.Contains(r.Payload, `"last":true`) {
				t.Errorf("row %+v", r)
			}
		}},
		{"request chunk", schemas.TopicBodies, &schemas.RequestBodyChunk{Seq: 2, Data: []byte(secret)}, 4096, func(t *testing.T, r Row) {
			if r.BodySize != uint64(len(secret)) || len(r.Body) != 0 || !strings.Contains(r.Payload, `"seq":2`) {
				t.Errorf("row %+v", r)
			}
		}},
		{"approval", schemas.TopicHolds, &schemas.ApprovalGiven{By: schemas.Principal{Subject: "alice"}, Reason: "ok"}, 4096, func(t *testing.T, r Row) {
			if r.Approver != "alice" || r.Reason != "ok" {
				t.Errorf("row %+v", r)
			}
		}},
		{"grant", schemas.TopicGrants, &schemas.GrantOpened{GrantID: "g1", Principal: schemas.Principal{Subject: "agent"}, Service: "s3",
			Params: json.RawMessage(`{"Note":"` + secret + `"}`), ApprovedBy: []string{"alice"}}, 4096, func(t *testing.T, r Row) {
			if r.GrantID != "g1" || r.Principal != "agent" || !slices.Equal(r.Approvers, []string{"alice"}) {
				t.Errorf("row %+v", r)
			}
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m := message(t, tc.topic, tc.payload)
			r := builder(t, tc.bodyCap).Build(m)
			if r.EventID != "ev-1" || r.RequestID != "req-1" || r.Type != string(tc.payload.EventType()) || r.Topic != tc.topic ||
				r.Partition != 1 || r.Offset != 2 || r.TSMicros != uint64(m.Envelope.Time.UnixMicro()) || !r.TS.Equal(m.Envelope.Time.Truncate(time.Second)) {
				t.Errorf("envelope columns %+v", r)
			}
			if strings.Contains(r.Payload, secret) || strings.Contains(string(r.Body), secret) {
				t.Errorf("secret kept: payload %s body %s", r.Payload, r.Body)
			}
			if _, err := schemas.Unmarshal([]byte(r.Payload)); err != nil {
				t.Errorf("payload is not a valid envelope: %v", err)
			}
			if len(r.Values()) != len(Columns()) {
				t.Errorf("%d values for %d columns", len(r.Values()), len(Columns()))
			}
			tc.check(t, r)
		})
	}
}

func ptr[T any](v T) *T { return &v }

func TestBuildUndecodable(t *testing.T) {
	tests := []struct {
		name        string
		topic       string
		value       string
		wantReq     string
		wantPayload string // substring; "" = empty payload
	}{
		{"unknown type keeps envelope fields", schemas.TopicRequests,
			`{"id":"a","type":"x.y","version":1,"request_id":"r9","time":"2026-01-01T00:00:00Z","payload":{"body":"` + secret + `","n":1}}`,
			"r9", `"n":1`},
		{"header values dropped", schemas.TopicHolds,
			`{"id":"a","headers":[{"name":"Authorization","value":"` + secret + `"},{"name":"Host","value":"h"}]}`, "", `"value":"h"`},
		{"credentials masked", schemas.TopicGrants, `{"Credentials":{"SessionToken":"` + secret + `"}}`, "", "REDACTED"},
		{"not JSON kept up to the cap", schemas.TopicPolicy, "plain text", "", "plain text"},
		{"raw topic withheld", schemas.TopicExecutions, `{"x":"` + secret + `"}`, "", ""},
		{"empty", schemas.TopicRequests, "", "", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := builder(t, 4096).Build(bus.Message{Topic: tc.topic, Partition: 4, Offset: 5, Value: []byte(tc.value)})
			if r.Type != TypeUndecodable || r.EventID != "undecodable/"+tc.topic+"/4/5" || r.RequestID != tc.wantReq {
				t.Errorf("row %+v", r)
			}
			if strings.Contains(r.Payload, secret) {
				t.Errorf("secret kept: %s", r.Payload)
			}
			if tc.wantPayload == "" && r.Payload != "" || !strings.Contains(r.Payload, tc.wantPayload) {
				t.Errorf("payload %q, want %q", r.Payload, tc.wantPayload)
			}
			if r.Error == "" && tc.value != "" {
				t.Error("no decode error recorded")
			}
		})
	}
}

// A chunk record this build cannot decode keeps the fields its headers
// carry and never its data.
func TestBuildUndecodableChunk(t *testing.T) {
	env, err := schemas.NewEnvelope("ev-7", "req-7", "ingress/i-1", time.Date(2026, 5, 6, 7, 8, 9, 0, time.UTC),
		&schemas.RequestBodyChunk{Seq: 1, Data: []byte(secret)})
	if err != nil {
		t.Fatal(err)
	}
	hs, value, err := schemas.EncodeChunk(env)
	if err != nil {
		t.Fatal(err)
	}
	hs = append(hs, schemas.RecordHeader{Key: "jg-from-the-future", Value: []byte("1")})
	r := builder(t, 4096).Build(bus.Message{Topic: schemas.TopicBodies, Partition: 4, Offset: 5, Value: value, Headers: hs})
	if r.Type != TypeUndecodable || r.RequestID != "req-7" || r.Producer != "ingress/i-1" || r.TSMicros != uint64(env.Time.UnixMicro()) ||
		!strings.Contains(r.Reason, `"ev-7"`) || !strings.Contains(r.Error, "jg-from-the-future") || r.BodySize != uint64(len(secret)) {
		t.Errorf("row %+v", r)
	}
	if strings.Contains(r.Payload, secret) || r.Payload != "" {
		t.Errorf("chunk data kept: %q", r.Payload)
	}
}

// FuzzBuild feeds arbitrary record values: Build must not panic, must give
// one value per column, and must never keep a body member.
func FuzzBuild(f *testing.F) {
	f.Add([]byte(`{"id":"a","type":"request.received","version":1,"request_id":"r","time":"2026-01-01T00:00:00Z","payload":{}}`))
	f.Add([]byte(`{"id":"a","payload":{"body":"eA=="}}`))
	f.Add([]byte(`[1,{"data":"x"},"y"]`))
	f.Add([]byte("\xff\x00"))
	b := builder(f, 64)
	f.Fuzz(func(t *testing.T, value []byte) {
		m := bus.Message{Topic: schemas.TopicRequests, Value: value}
		if env, err := schemas.Unmarshal(value); err == nil {
			m.Envelope = env
		}
		r := b.Build(m)
		if len(r.Values()) != len(Columns()) {
			t.Fatal("values and columns differ")
		}
		if r.Type == TypeUndecodable && json.Valid(value) && strings.Contains(r.Payload, `"body":`) {
			t.Fatalf("body member kept: %s", r.Payload)
		}
	})
}
