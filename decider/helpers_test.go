package decider

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jitgate/jitgate/internal/awsmodel"
	"github.com/jitgate/jitgate/internal/bus"
	"github.com/jitgate/jitgate/internal/ids"
	"github.com/jitgate/jitgate/schemas"
)

const (
	iss        = "https://idp.example"
	writerRole = "arn:aws:iam::123456789012:role/writer"
	stopRole   = "arn:aws:iam::123456789012:role/operator"
	replica    = "ingress-7"
)

var (
	t0       = time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)
	key      = []byte("0123456789abcdef0123456789abcdef")
	holdsKey = []byte("holds-key-0123456789abcdef012345")

	bot     = schemas.Principal{Subject: "bot", Issuer: iss, Groups: []string{"agents"}}
	bot2    = schemas.Principal{Subject: "bot-2", Issuer: iss, Groups: []string{"agents"}}
	alice   = schemas.Principal{Subject: "alice", Issuer: iss, Groups: []string{"sre"}}
	bob     = schemas.Principal{Subject: "bob", Issuer: iss, Groups: []string{"sre"}}
	carol   = schemas.Principal{Subject: "carol", Issuer: iss, Groups: []string{"sre"}}
	mallory = schemas.Principal{Subject: "mallory", Issuer: iss, Groups: []string{"dev"}}
)

// testPolicy is the policy most tests run: a deny, a rule that fails at
// run time, a two-approver hold with a call grant, a one-approver hold
// without a grant, and an allow.
const testPolicy = `version: 1
rules:
  - name: no-deletes
    when: '"delete" in call.effects'
    then: deny
    reason: deletes are forbidden
  - name: big-invokes
    when: 'service == "lambda" && params.Size > 10'
    then: allow
  - name: table-writes
    when: 'service == "dynamodb" && !readOnly'
    then: hold
    reason: writes need two humans
    approvers: [sre]
    approvals: 2
    wait: 10m
    grant:
      for: 15m
      scope: call
    role: ` + writerRole + `
  - name: stop-instances
    when: 'service == "ec2" && operation == "StopInstances"'
    then: hold
    reason: stopping needs a human
    approvers: [sre]
    wait: 5m
    role: ` + stopRole + `
  - name: reads
    when: readOnly
    then: allow
    reason: reads are fine
`

// writePolicy writes src to a fresh file and returns its path.
func writePolicy(t *testing.T, src string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "policy.yaml")
	if err := os.WriteFile(path, []byte(src), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// clock is a settable clock for Deps.Now.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = t
}

// fakePublisher records what the decider publishes outside the stage loop;
// failures makes the first calls fail.
type fakePublisher struct {
	mu       sync.Mutex
	outs     []bus.Output
	failures int
}

func (p *fakePublisher) Publish(_ context.Context, outs ...bus.Output) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.failures > 0 {
		p.failures--
		return errors.New("broker unreachable")
	}
	p.outs = append(p.outs, outs...)
	return nil
}

func (p *fakePublisher) published() []bus.Output {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]bus.Output(nil), p.outs...)
}

// logBuffer collects a test's logs and prints them only when it fails, so
// goroutines that log late never touch a finished test.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func testLogger(t *testing.T) *slog.Logger {
	b := &logBuffer{}
	t.Cleanup(func() {
		if t.Failed() || os.Getenv("DECIDER_TEST_LOGS") != "" {
			b.mu.Lock()
			defer b.mu.Unlock()
			t.Logf("logs:\n%s", b.buf.String())
		}
	})
	return slog.New(slog.NewTextHandler(b, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

// testModel is the embedded AWS model, loaded once for every unit.
var testModel = sync.OnceValues(awsmodel.Load)

// unitBus is a bus configuration for handler tests that never connect.
var unitBus = bus.Config{Brokers: []string{"127.0.0.1:1"}, Prefix: "unit."}

// unit is a decider for handler tests: no broker, a fixed clock at t0.
type unit struct {
	d   *Decider
	clk *clock
	pub *fakePublisher
}

func newUnit(t *testing.T, policySrc string) *unit {
	t.Helper()
	u := &unit{clk: &clock{t: t0}, pub: &fakePublisher{}}
	model, err := testModel()
	if err != nil {
		t.Fatal(err)
	}
	d, err := New(Config{Bus: unitBus, Instance: "decider-1", PolicyFile: writePolicy(t, policySrc), DecisionKey: key, HoldsKey: holdsKey},
		Deps{Publisher: u.pub, Logger: testLogger(t), Now: u.clk.Now, Model: model})
	if err != nil {
		t.Fatal(err)
	}
	u.d = d
	return u
}

// handle runs the decider's handler on one event of topic.
func (u *unit) handle(t *testing.T, topic string, env schemas.Envelope) []bus.Output {
	t.Helper()
	res, err := u.d.Handle(context.Background(), bus.Message{Topic: topic, Partition: 2, Offset: 41, Envelope: env})
	if err != nil {
		t.Fatalf("handle %s: %v", env.Type, err)
	}
	if res.After != nil {
		t.Fatal("the decider asked for follow-up work")
	}
	return res.Out
}

// apply feeds events to the decider's holds view, as its tail would.
func (u *unit) apply(t *testing.T, envs ...schemas.Envelope) {
	t.Helper()
	for _, env := range envs {
		if err := u.d.holds.Apply(env); err != nil {
			t.Fatalf("apply %s: %v", env.Type, err)
		}
	}
}

// applyOuts feeds the decider's own outputs on the holds and grants topics
// back to its view.
func (u *unit) applyOuts(t *testing.T, outs []bus.Output) {
	t.Helper()
	for _, o := range outs {
		if o.Topic == schemas.TopicHolds || o.Topic == schemas.TopicGrants {
			u.apply(t, o.Envelope)
		}
	}
}

// envelope wraps p as an event of request reqID at time at, sealed as its
// entitled writer seals it when p confers authority.
func envelope(t *testing.T, reqID string, at time.Time, p schemas.Payload) schemas.Envelope {
	t.Helper()
	env, err := schemas.NewEnvelope(ids.New(), reqID, "test", at, p)
	if err != nil {
		t.Fatal(err)
	}
	role, ok := schemas.Writer(env.Type)
	if !ok {
		return env
	}
	env.Producer = schemas.ProducerName(role, "test")
	k := holdsKey
	if env.Type == schemas.TypeDecisionMade {
		k = key
	}
	if err := schemas.Seal(&env, k); err != nil {
		t.Fatal(err)
	}
	return env
}

// call describes a request.received.
type call struct {
	who       schemas.Principal
	service   string
	operation string
	readOnly  bool
	params    string
	chunks    int
}

var (
	putItem   = call{who: bot, service: "dynamodb", operation: "PutItem", params: `{"TableName":"orders","Item":{"id":{"S":"1"}}}`}
	getItem   = call{who: bot, service: "dynamodb", operation: "GetItem", readOnly: true, params: `{"TableName":"orders"}`}
	stopInst  = call{who: bot, service: "ec2", operation: "StopInstances", params: `{"InstanceIds":["i-1"]}`}
	delBucket = call{who: bot, service: "s3", operation: "DeleteBucket", params: `{"Bucket":"logs"}`}
	putObject = call{who: bot, service: "s3", operation: "PutObject", params: `{"Bucket":"logs","Key":"k"}`}
)

// request builds the request.received of c, waited for until deadline.
func request(c call, deadline time.Time) *schemas.RequestReceived {
	r := &schemas.RequestReceived{
		ReplyTo:   replica,
		Principal: c.who,
		SessionID: "ASIAJITGATE",
		Service:   c.service,
		Operation: c.operation,
		Protocol:  "json",
		Region:    "eu-west-1",
		ReadOnly:  c.readOnly,
		HTTP:      schemas.HTTPRequest{Method: "POST", Path: "/", BodyChunks: c.chunks},
		Deadline:  deadline,
	}
	if c.params != "" {
		r.Params = json.RawMessage(c.params)
	}
	return r
}

// received is a request.received event for c at t0, waited for 30s.
func received(t *testing.T, c call) schemas.Envelope {
	t.Helper()
	return receivedAt(t, c, t0)
}

// receivedAt is a request.received event for c at now, waited for 30s.
func receivedAt(t *testing.T, c call, now time.Time) schemas.Envelope {
	t.Helper()
	return envelope(t, ids.New(), now, request(c, now.Add(30*time.Second)))
}

// decoded is a decider output with its payload decoded.
type decoded struct {
	out bus.Output
	p   schemas.Payload
}

func decodeOuts(t *testing.T, outs []bus.Output) []decoded {
	t.Helper()
	ds := make([]decoded, len(outs))
	for i, o := range outs {
		// Round-trip through the wire form, as consumers see it.
		raw, err := o.Envelope.Marshal()
		if err != nil {
			t.Fatal(err)
		}
		env, err := schemas.Unmarshal(raw)
		if err != nil {
			t.Fatal(err)
		}
		p, err := env.Decode()
		if err != nil {
			t.Fatal(err)
		}
		ds[i] = decoded{out: o, p: p}
	}
	return ds
}

// shape renders outputs as "topic:type" for comparing with a want list.
func shape(outs []bus.Output) string {
	s := make([]string, len(outs))
	for i, o := range outs {
		s[i] = o.Topic + ":" + string(o.Envelope.Type)
	}
	return strings.Join(s, " ")
}

func wantShape(t *testing.T, outs []bus.Output, want ...string) {
	t.Helper()
	if got := shape(outs); got != strings.Join(want, " ") {
		t.Fatalf("outputs %q, want %q", got, strings.Join(want, " "))
	}
}

// first returns the first output payload of type T.
func first[T schemas.Payload](t *testing.T, outs []bus.Output) T {
	t.Helper()
	for _, d := range decodeOuts(t, outs) {
		if p, ok := d.p.(T); ok {
			return p
		}
	}
	var zero T
	t.Fatalf("no %s among %s", zero.EventType(), shape(outs))
	return zero
}

// sealed returns the decision among outs after checking that its envelope
// verifies under the decision key, as a decider's, and under no other.
func sealed(t *testing.T, outs []bus.Output) *schemas.DecisionMade {
	t.Helper()
	for _, d := range decodeOuts(t, outs) {
		if d.out.Envelope.Type != schemas.TypeDecisionMade {
			continue
		}
		if err := schemas.Verify(d.out.Envelope, key); err != nil {
			t.Fatalf("decision does not verify: %v", err)
		}
		if err := schemas.Verify(d.out.Envelope, holdsKey); !errors.Is(err, schemas.ErrBadAuth) {
			t.Fatalf("decision verifies under the holds key: %v", err)
		}
		dec := d.p.(*schemas.DecisionMade)
		if dec.RequestID != d.out.Envelope.RequestID || dec.RequestID == "" {
			t.Fatalf("decision names request %q on an envelope of %q", dec.RequestID, d.out.Envelope.RequestID)
		}
		return dec
	}
	t.Fatalf("no decision among %s", shape(outs))
	return nil
}

// waitFor polls cond until it holds or the deadline passes.
func waitFor(t *testing.T, what string, within time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(within)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func mustContain(t *testing.T, what, s string, subs ...string) {
	t.Helper()
	for _, sub := range subs {
		if !strings.Contains(s, sub) {
			t.Errorf("%s %q does not contain %q", what, s, sub)
		}
	}
}

func approval(by schemas.Principal) *schemas.ApprovalGiven {
	return &schemas.ApprovalGiven{By: by, Reason: fmt.Sprintf("%s says ok", by.Subject)}
}
