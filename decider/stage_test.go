package decider

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/jitgate/jitgate/internal/bus"
	"github.com/jitgate/jitgate/internal/ids"
	"github.com/jitgate/jitgate/internal/notify"
	"github.com/jitgate/jitgate/schemas"
)

// within bounds every wait on the embedded broker.
const within = 20 * time.Second

// broker starts an embedded broker with this test's topics.
func broker(t *testing.T) bus.Config {
	t.Helper()
	e, err := bus.StartEmbedded(0, "")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(e.Close)
	prefix := fmt.Sprintf("t%d.%s.", time.Now().UnixNano(), strings.ReplaceAll(t.Name(), "/", "."))
	cfg := bus.Config{Brokers: e.Addrs(), Prefix: prefix, Partitions: 3, Replication: 1, Retention: time.Hour}
	ctx, cancel := context.WithTimeout(context.Background(), within)
	defer cancel()
	if err := bus.EnsureTopics(ctx, cfg); err != nil {
		t.Fatal(err)
	}
	return cfg
}

// publisher connects a publisher closed with the test.
func publisher(t *testing.T, cfg bus.Config) *bus.Publisher {
	t.Helper()
	p, err := bus.NewPublisher(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(p.Close)
	return p
}

func publish(t *testing.T, p *bus.Publisher, topic string, env schemas.Envelope) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), within)
	defer cancel()
	if err := p.Publish(ctx, bus.Output{Topic: topic, Envelope: env}); err != nil {
		t.Fatal(err)
	}
}

// startDecider runs a decider until the returned stop is called (or the
// test ends); stop waits for Run to return and checks its error.
func startDecider(t *testing.T, cfg Config) (d *Decider, stop func()) {
	t.Helper()
	d, err := New(cfg, Deps{Publisher: publisher(t, cfg.Bus), Logger: testLogger(t)})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- d.Run(ctx) }()
	var once sync.Once
	stop = func() {
		once.Do(func() {
			cancel()
			if err := <-done; err != nil {
				t.Errorf("Run: %v", err)
			}
		})
	}
	t.Cleanup(stop)
	return d, stop
}

// observer tails topics from their end and keeps what it reads.
type observer struct {
	mu   sync.Mutex
	msgs []bus.Message
}

func observe(t *testing.T, cfg bus.Config, keep bus.Filter, topics ...string) *observer {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	tail, err := bus.NewTail(ctx, cfg, bus.FromEnd, testLogger(t), topics...)
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	o := &observer{}
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = tail.Run(ctx, keep, func(m bus.Message) {
			o.mu.Lock()
			defer o.mu.Unlock()
			o.msgs = append(o.msgs, m)
		})
	}()
	t.Cleanup(func() { cancel(); <-done })
	return o
}

// all returns what was read of type typ for request reqID ("" = any).
func (o *observer) all(typ schemas.Type, reqID string) []bus.Message {
	o.mu.Lock()
	defer o.mu.Unlock()
	var out []bus.Message
	for _, m := range o.msgs {
		if m.Envelope.Type == typ && (reqID == "" || m.Envelope.RequestID == reqID) {
			out = append(out, m)
		}
	}
	return out
}

// await waits for the first event of type typ for request reqID and
// returns its payload.
func await[T schemas.Payload](t *testing.T, o *observer, reqID string) T {
	t.Helper()
	var zero T
	var got []bus.Message
	waitFor(t, fmt.Sprintf("%s of %s", zero.EventType(), reqID), within, func() bool {
		got = o.all(zero.EventType(), reqID)
		return len(got) > 0
	})
	p, err := schemas.DecodeAs[T](got[0].Envelope)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// live is a request.received event made now, its agent waiting a minute.
func live(t *testing.T, c call) schemas.Envelope {
	t.Helper()
	now := time.Now()
	return envelope(t, ids.New(), now, request(c, now.Add(time.Minute)))
}

func stageConfig(t *testing.T, b bus.Config, instance, policySrc string) Config {
	return Config{Bus: b, Instance: instance, PolicyFile: writePolicy(t, policySrc), DecisionKey: key, HoldsKey: holdsKey,
		ExpireEvery: 50 * time.Millisecond, ReloadEvery: time.Hour}
}

func TestStageDecidesOnBroker(t *testing.T) {
	b := broker(t)
	seen := observe(t, b, nil, schemas.TopicDecisions, schemas.TopicHolds, schemas.TopicPolicy)
	mine := observe(t, b, func(replyTo string) bool { return replyTo == replica }, schemas.TopicResponses)
	d, _ := startDecider(t, stageConfig(t, b, "decider-1", testPolicy))
	pub := publisher(t, b)

	allow, deny, hold := live(t, getItem), live(t, delBucket), live(t, putItem)
	for _, env := range []schemas.Envelope{allow, deny, hold} {
		publish(t, pub, schemas.TopicRequests, env)
	}
	cases := []struct {
		name    string
		in      schemas.Envelope
		outcome schemas.Outcome
		rule    string
	}{
		{"allow", allow, schemas.Allow, "reads"},
		{"deny", deny, schemas.Deny, "no-deletes"},
		{"hold", hold, schemas.Hold, "table-writes"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dec := await[*schemas.DecisionMade](t, seen, tc.in.RequestID)
			if err := schemas.Verify(seen.all(schemas.TypeDecisionMade, tc.in.RequestID)[0].Envelope, key); err != nil {
				t.Fatalf("decision from the broker does not verify: %v", err)
			}
			if dec.Outcome != tc.outcome || dec.Rule != tc.rule || dec.PolicyHash != d.Policy().Hash() {
				t.Fatalf("decision %s rule %q hash %s", dec.Outcome, dec.Rule, dec.PolicyHash)
			}
			switch tc.outcome {
			case schemas.Deny:
				resp := await[*schemas.ResponseReady](t, mine, tc.in.RequestID)
				if resp.Error == nil || resp.Error.Code != "AccessDenied" || resp.ReplyTo != replica {
					t.Fatalf("response %+v", resp)
				}
				mustContain(t, "denial", resp.Error.Message, "no-deletes", tc.in.RequestID)
			case schemas.Hold:
				if op := await[*schemas.HoldOpened](t, seen, tc.in.RequestID); op.Rule != tc.rule || op.Terms.Approvals != 2 {
					t.Fatalf("hold.opened %+v", op)
				}
			}
		})
	}
	loaded := await[*schemas.PolicyLoaded](t, seen, "")
	if loaded.Hash != d.Policy().Hash() || loaded.By != "decider-1" {
		t.Fatalf("policy.loaded %+v", loaded)
	}
	// One decision per request, and only the denial answered the agent.
	for _, in := range []schemas.Envelope{allow, deny, hold} {
		if n := len(seen.all(schemas.TypeDecisionMade, in.RequestID)); n != 1 {
			t.Errorf("%d decisions for %s", n, in.RequestID)
		}
	}
	if n := len(mine.all(schemas.TypeResponseReady, "")); n != 1 {
		t.Errorf("%d answers, want 1 (the denial)", n)
	}
}

func TestStageApprovalAndRestartHonoursGrant(t *testing.T) {
	b := broker(t)
	seen := observe(t, b, nil, schemas.TopicDecisions, schemas.TopicHolds, schemas.TopicGrants)
	cfg := stageConfig(t, b, "decider-a", testPolicy)
	_, stopA := startDecider(t, cfg)
	pub := publisher(t, b)

	// A held call, approved by two members of sre while the agent waits.
	first := live(t, putItem)
	publish(t, pub, schemas.TopicRequests, first)
	await[*schemas.HoldOpened](t, seen, first.RequestID)
	for _, by := range []schemas.Principal{alice, bob} {
		publish(t, pub, schemas.TopicHolds, envelope(t, first.RequestID, time.Now(), approval(by)))
	}
	g := await[*schemas.GrantOpened](t, seen, first.RequestID)
	waitFor(t, "the approved call's allow", within, func() bool {
		for _, m := range seen.all(schemas.TypeDecisionMade, first.RequestID) {
			if dec, err := schemas.DecodeAs[*schemas.DecisionMade](m.Envelope); err == nil && dec.Outcome == schemas.Allow {
				return schemas.Verify(m.Envelope, key) == nil && dec.GrantID == g.GrantID
			}
		}
		return false
	})
	// Stop A once it is idle: it has consumed its own hold.approved and no
	// transaction of its is open. (Stopping a stage inside a transaction
	// leaves it open on the broker, and a successor waits for it to time
	// out: see the report on internal/bus.)
	approvedMsg := seen.all(schemas.TypeHoldApproved, first.RequestID)[0]
	idle(t, b, cfg, approvedMsg)
	stopA()

	// A new decider on the same broker rebuilds its view from Kafka and
	// lets the agent's retry through the grant.
	cfg.Instance = "decider-b"
	_, _ = startDecider(t, cfg)
	retry := live(t, putItem)
	publish(t, pub, schemas.TopicRequests, retry)
	dec := await[*schemas.DecisionMade](t, seen, retry.RequestID)
	if err := schemas.Verify(seen.all(schemas.TypeDecisionMade, retry.RequestID)[0].Envelope, key); err != nil {
		t.Fatal(err)
	}
	if dec.Outcome != schemas.Allow || dec.Rule != "grant:"+g.GrantID || dec.GrantID != g.GrantID || dec.Role != writerRole {
		t.Fatalf("retry decision %s rule %q grant %q role %q, want allow through %s", dec.Outcome, dec.Rule, dec.GrantID, dec.Role, g.GrantID)
	}
	// Another agent's identical call is not covered.
	other := putItem
	other.who = bot2
	stranger := live(t, other)
	publish(t, pub, schemas.TopicRequests, stranger)
	if dec := await[*schemas.DecisionMade](t, seen, stranger.RequestID); dec.Outcome != schemas.Hold || dec.GrantID != "" {
		t.Fatalf("other agent's decision %s grant %q", dec.Outcome, dec.GrantID)
	}
	if n := len(seen.all(schemas.TypeHoldApproved, first.RequestID)); n != 1 {
		t.Fatalf("%d hold.approved for one hold", n)
	}
}

// delivery is one webhook POST.
type delivery struct {
	event, ts, sig string
	body           []byte
}

func TestStageNotifiesHolds(t *testing.T) {
	secret := []byte("webhook-secret-0123456789abcdef")
	var (
		mu   sync.Mutex
		got  []delivery
		srv  = httptestServer(t, func(d delivery) { mu.Lock(); got = append(got, d); mu.Unlock() })
		find = func(event, reqID string) (delivery, notify.Notification, bool) {
			mu.Lock()
			defer mu.Unlock()
			for _, d := range got {
				var n notify.Notification
				if d.event == event && json.Unmarshal(d.body, &n) == nil && n.RequestID == reqID {
					return d, n, true
				}
			}
			return delivery{}, notify.Notification{}, false
		}
	)
	b := broker(t)
	seen := observe(t, b, nil, schemas.TopicDecisions, schemas.TopicHolds)
	cfg := stageConfig(t, b, "decider-1", testPolicy)
	cfg.Webhook = notify.Config{URL: srv, Secret: secret, Format: notify.FormatJSON, MaxAttempts: 2, Timeout: 5 * time.Second}
	startDecider(t, cfg)
	pub := publisher(t, b)

	in := live(t, stopInst) // one approval from sre
	publish(t, pub, schemas.TopicRequests, in)
	var (
		d delivery
		n notify.Notification
	)
	waitFor(t, "the hold.opened delivery", within, func() (ok bool) {
		d, n, ok = find(string(schemas.TypeHoldOpened), in.RequestID)
		return ok
	})
	if err := notify.Verify(secret, d.ts, d.body, d.sig); err != nil {
		t.Fatalf("hold.opened signature: %v", err)
	}
	if err := notify.Verify([]byte("another-secret-0123456789abcdef"), d.ts, d.body, d.sig); err == nil {
		t.Fatal("signature verifies under another secret")
	}
	if n.Rule != "stop-instances" || n.Agent != "bot" || n.Call != "ec2:StopInstances" || n.Approvals != 1 ||
		len(n.Approvers) != 1 || n.Approvers[0] != "sre" || !n.Pending() {
		t.Fatalf("hold.opened notification %+v", n)
	}

	publish(t, pub, schemas.TopicHolds, envelope(t, in.RequestID, time.Now(), approval(alice)))
	waitFor(t, "the hold.approved delivery", within, func() (ok bool) {
		d, n, ok = find(string(schemas.TypeHoldApproved), in.RequestID)
		return ok
	})
	if err := notify.Verify(secret, d.ts, d.body, d.sig); err != nil {
		t.Fatalf("hold.approved signature: %v", err)
	}
	if len(n.ApprovedBy) != 1 || !strings.HasPrefix(n.ApprovedBy[0], "alice") || n.Pending() {
		t.Fatalf("hold.approved notification %+v", n)
	}
	// The approval ran the held call.
	waitFor(t, "the allow decision", within, func() bool {
		for _, m := range seen.all(schemas.TypeDecisionMade, in.RequestID) {
			if dec, err := schemas.DecodeAs[*schemas.DecisionMade](m.Envelope); err == nil && dec.Outcome == schemas.Allow {
				return true
			}
		}
		return false
	})
}

// httptestServer is a webhook receiver on 127.0.0.1 that hands got every
// delivery; it returns the server's URL.
func httptestServer(t *testing.T, got func(delivery)) string {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(r.Body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		got(delivery{event: r.Header.Get(notify.HeaderEvent), ts: r.Header.Get(notify.HeaderTimestamp),
			sig: r.Header.Get(notify.HeaderSignature), body: body})
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

// idle waits until the decider group committed its consumption of m and
// the decider's transactional producer has no transaction open.
func idle(t *testing.T, b bus.Config, cfg Config, m bus.Message) {
	t.Helper()
	cl, err := kgo.NewClient(kgo.SeedBrokers(b.Brokers...))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	adm := kadm.NewClient(cl)
	group := b.GroupName("decider")
	txnID := group + "/" + cfg.Instance
	waitFor(t, "the decider to be idle", within, func() bool {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		offs, err := adm.FetchOffsets(ctx, group)
		if err != nil {
			return false
		}
		o, ok := offs.Lookup(b.Topic(m.Topic), m.Partition)
		if !ok || o.Err != nil || o.At <= m.Offset {
			return false
		}
		txns, err := adm.DescribeTransactions(ctx, txnID)
		if err != nil {
			return false
		}
		tx, ok := txns[txnID]
		return ok && tx.Err == nil && tx.State != "Ongoing"
	})
}
