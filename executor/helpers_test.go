package executor

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"

	"github.com/jitgate/jitgate/internal/bus"
	"github.com/jitgate/jitgate/schemas"
)

var (
	decisionKey  = []byte("decision-key-shared-by-deciders-and-executors")
	gatewayCreds = aws.Credentials{AccessKeyID: "AKIAGATEWAY000000001", SecretAccessKey: "gateway-secret-key"}
)

func staticCreds(c aws.Credentials) aws.CredentialsProvider {
	return credentials.StaticCredentialsProvider{Value: c}
}

// table is an endpoint table of real AWS hosts.
var table = EndpointsFunc(func(service, region string) (Endpoint, error) {
	switch service {
	case "s3":
		return Endpoint{URL: "https://s3." + region + ".amazonaws.com", SigningName: "s3", SigningRegion: region}, nil
	case "iam":
		return Endpoint{URL: "https://iam.amazonaws.com", SigningName: "iam", SigningRegion: "us-east-1"}, nil
	case "evil":
		return Endpoint{URL: "https://evil.example", SigningName: "evil", SigningRegion: region}, nil
	case "plain":
		return Endpoint{URL: "http://plain.us-east-1.amazonaws.com", SigningName: "plain", SigningRegion: region}, nil
	}
	return Endpoint{}, io.EOF
})

// fakeAWS is a RoundTripper standing in for AWS; it records what it got.
type fakeAWS struct {
	mu      sync.Mutex
	reqs    []*http.Request
	bodies  [][]byte
	respond func(r *http.Request) (*http.Response, error)
}

func (f *fakeAWS) RoundTrip(r *http.Request) (*http.Response, error) {
	var b []byte
	if r.Body != nil {
		b, _ = io.ReadAll(r.Body)
		r.Body.Close()
	}
	f.mu.Lock()
	f.reqs = append(f.reqs, r)
	f.bodies = append(f.bodies, b)
	f.mu.Unlock()
	if f.respond != nil {
		return f.respond(r)
	}
	return reply(r, http.StatusOK, "<ok/>", nil), nil
}

func reply(r *http.Request, status int, body string, h http.Header) *http.Response {
	if h == nil {
		h = http.Header{}
	}
	return &http.Response{StatusCode: status, Header: h, Body: io.NopCloser(strings.NewReader(body)),
		ContentLength: int64(len(body)), Request: r, ProtoMajor: 1, ProtoMinor: 1}
}

func unitConfig() Config {
	return Config{Bus: bus.Config{Brokers: []string{"127.0.0.1:1"}}, Instance: "t1", DecisionKey: decisionKey}
}

// logBuffer collects log output for assertions.
type logBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func newUnit(t *testing.T, cfg Config, deps Deps) (*Executor, *fakeAWS, *logBuffer) {
	t.Helper()
	f := &fakeAWS{}
	logs := &logBuffer{}
	if deps.Credentials == nil {
		deps.Credentials = staticCreds(gatewayCreds)
	}
	if deps.Endpoints == nil {
		deps.Endpoints = table
	}
	if deps.HTTPClient == nil {
		deps.HTTPClient = &http.Client{Transport: f}
	}
	deps.Logger = slog.New(slog.NewJSONHandler(logs, nil))
	e, err := New(cfg, deps)
	if err != nil {
		t.Fatal(err)
	}
	cs := &capturedStreams{}
	e.stream = cs.stream
	streamsOf.Store(e, cs)
	return e, f, logs
}

// streamsOf holds, per unit executor, what it streamed (large responses).
var streamsOf sync.Map

// capturedStreams records streamed outputs in the order sent.
type capturedStreams struct {
	mu   sync.Mutex
	outs []bus.Output
}

func (c *capturedStreams) stream() bus.Stream { return c }

// Send keeps a copy of a chunk's data, as bus.Stream does: the executor
// reuses its chunk buffer once Send returns.
func (c *capturedStreams) Send(_ context.Context, o bus.Output) error {
	if ch, err := schemas.DecodeAs[*schemas.ResponseBodyChunk](o.Envelope); err == nil {
		ch.Data = bytes.Clone(ch.Data)
		env := o.Envelope
		if o.Envelope, err = schemas.NewEnvelope(env.ID, env.RequestID, env.Producer, env.Time, ch); err != nil {
			return err
		}
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.outs = append(c.outs, o)
	return nil
}

func (c *capturedStreams) Close(context.Context) (schemas.RecordRef, error) {
	return schemas.RecordRef{}, nil
}

// take returns and forgets what was streamed.
func (c *capturedStreams) take() []bus.Output {
	c.mu.Lock()
	defer c.mu.Unlock()
	outs := c.outs
	c.outs = nil
	return outs
}

func s3Request(method, path string, hs ...string) schemas.RequestReceived {
	var headers []schemas.Header
	for i := 0; i+1 < len(hs); i += 2 {
		headers = append(headers, schemas.Header{Name: hs[i], Value: hs[i+1]})
	}
	return schemas.RequestReceived{
		ReplyTo: "ingress-1", Service: "s3", Operation: "Op", Protocol: "rest-xml",
		SigningName: "s3", Region: "us-east-1",
		HTTP:     schemas.HTTPRequest{Method: method, Path: path, Headers: headers, SignedHeaders: []string{"host"}},
		Deadline: time.Now().Add(20 * time.Second),
	}
}

// sealed is a decision on req; message seals its envelope.
func sealed(t *testing.T, outcome schemas.Outcome, req schemas.RequestReceived, edit func(*schemas.DecisionMade)) *schemas.DecisionMade {
	t.Helper()
	d := &schemas.DecisionMade{Outcome: outcome, Rule: "r", Reason: "test", Request: req}
	if edit != nil {
		edit(d)
	}
	return d
}

// offsets numbers the decision records of unit tests: each message is a
// record of its own, as a replay on Kafka is.
var offsets atomic.Int64

// message is the record of a decision for request id, its envelope sealed
// by a decider (a DecisionMade names id unless it names a request).
func message(t *testing.T, id string, p schemas.Payload) bus.Message {
	t.Helper()
	if d, ok := p.(*schemas.DecisionMade); ok && d.RequestID == "" {
		d.RequestID = id
	}
	env := decisionEnvelope(t, id, p)
	if env.Type == schemas.TypeDecisionMade {
		if err := schemas.Seal(&env, decisionKey); err != nil {
			t.Fatal(err)
		}
	}
	return bus.Message{Topic: schemas.TopicDecisions, Offset: offsets.Add(1), Envelope: env}
}

func decisionEnvelope(t *testing.T, id string, p schemas.Payload) schemas.Envelope {
	t.Helper()
	env, err := schemas.NewEnvelope(id+"/decision", id, "decider/test", time.Now(), p)
	if err != nil {
		t.Fatal(err)
	}
	return env
}

// outcome is what one Handle produced, After included.
type outcome struct {
	started  []*schemas.ExecutionStarted
	finished []*schemas.ExecutionFinished
	chunks   []*schemas.ResponseBodyChunk
	refused  []*schemas.SecurityRefused
	outs     []bus.Output
	after    bool
}

func run(t *testing.T, e *Executor, m bus.Message) outcome {
	t.Helper()
	res, err := e.Handle(context.Background(), m)
	if err != nil {
		t.Fatalf("Handle: %v", err)
	}
	var o outcome
	outs := res.Out
	if res.After != nil {
		o.after = true
		outs = append(outs, res.After(context.Background())...)
	}
	if cs, ok := streamsOf.Load(e); ok {
		outs = append(outs, cs.(*capturedStreams).take()...)
	}
	o.outs = outs
	for _, out := range outs {
		if out.Topic == schemas.TopicSecurity {
			r, err := schemas.DecodeAs[*schemas.SecurityRefused](out.Envelope)
			if err != nil {
				t.Fatal(err)
			}
			o.refused = append(o.refused, r)
			continue
		}
		if out.Topic != schemas.TopicExecutions || out.Key != m.Envelope.RequestID || out.Envelope.RequestID != m.Envelope.RequestID {
			t.Fatalf("output %s on %s keyed %q", out.Envelope.Type, out.Topic, out.Key)
		}
		p, err := out.Envelope.Decode()
		if err != nil {
			t.Fatal(err)
		}
		switch v := p.(type) {
		case *schemas.ExecutionStarted:
			o.started = append(o.started, v)
		case *schemas.ExecutionFinished:
			o.finished = append(o.finished, v)
		case *schemas.ResponseBodyChunk:
			o.chunks = append(o.chunks, v)
		default:
			t.Fatalf("unexpected output %T", p)
		}
	}
	return o
}

func sha(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}
