package executor

import (
	"bytes"
	"context"
	"crypto/rand"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jitgate/jitgate/internal/awsemu"
	"github.com/jitgate/jitgate/internal/bus"
	"github.com/jitgate/jitgate/schemas"
)

// events gathers what a tail sees, per request id, in order.
type events struct {
	mu  sync.Mutex
	got map[string][]bus.Message
}

func (ev *events) add(m bus.Message) {
	ev.mu.Lock()
	defer ev.mu.Unlock()
	ev.got[m.Envelope.RequestID] = append(ev.got[m.Envelope.RequestID], m)
}

func (ev *events) of(id string) []bus.Message {
	ev.mu.Lock()
	defer ev.mu.Unlock()
	return append([]bus.Message(nil), ev.got[id]...)
}

func tail(t *testing.T, ctx context.Context, cfg bus.Config, topic string) (*events, func()) {
	t.Helper()
	tl, err := bus.NewTail(ctx, cfg, bus.FromEnd, nil, topic)
	if err != nil {
		t.Fatal(err)
	}
	ev := &events{got: map[string][]bus.Message{}}
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = tl.Run(ctx, nil, ev.add)
	}()
	return ev, func() { cancel(); <-done }
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// envelope wraps p for request id; a decision is sealed as a decider seals
// it.
func envelope(t *testing.T, id, suffix string, p schemas.Payload) schemas.Envelope {
	t.Helper()
	producer := "test"
	d, isDecision := p.(*schemas.DecisionMade)
	if isDecision {
		producer = "decider/test"
		if d.RequestID == "" {
			d.RequestID = id
		}
	}
	env, err := schemas.NewEnvelope(id+"/"+suffix, id, producer, time.Now(), p)
	if err != nil {
		t.Fatal(err)
	}
	if isDecision {
		if err := schemas.Seal(&env, decisionKey); err != nil {
			t.Fatal(err)
		}
	}
	return env
}

// stageEnv starts an embedded broker with the executor's topics (under a
// prefix of their own) and the emulator behind its SigV4-checking shim;
// both stop when the test ends.
func stageEnv(t *testing.T, ctx context.Context, partitions int32) (bus.Config, *awsemu.Emulator) {
	t.Helper()
	broker, err := bus.StartEmbedded(0, "")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(broker.Close)
	emu, err := awsemu.Start(gatewayCreds, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(emu.Close)
	bcfg := bus.Config{Brokers: broker.Addrs(), Prefix: fmt.Sprintf("t%d.", time.Now().UnixNano()), Partitions: partitions}
	if err := bus.EnsureTopics(ctx, bcfg); err != nil {
		t.Fatal(err)
	}
	return bcfg, emu
}

// TestStage runs the executor on the embedded broker against the emulator.
func TestStage(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	bcfg, emu := stageEnv(t, ctx, 1)
	execs, stopExecs := tail(t, ctx, bcfg, schemas.TopicExecutions)
	defer stopExecs()
	reqs, stopReqs := tail(t, ctx, bcfg, schemas.TopicRequests)
	defer stopReqs()

	e, err := New(Config{Bus: bcfg, Instance: "stage-test", DecisionKey: decisionKey, Upstream: emu.URL},
		Deps{Credentials: staticCreds(gatewayCreds), HTTPClient: &http.Client{}})
	if err != nil {
		t.Fatal(err)
	}
	runDone := make(chan error, 1)
	go func() { runDone <- e.Run(ctx) }()

	pub, err := bus.NewPublisher(bcfg)
	if err != nil {
		t.Fatal(err)
	}
	defer pub.Close()
	decide := func(id string, outcome schemas.Outcome, req schemas.RequestReceived, body *schemas.RecordRef) {
		t.Helper()
		d := sealed(t, outcome, req, func(d *schemas.DecisionMade) { d.Body = body })
		if err := pub.Publish(ctx, bus.Output{Topic: schemas.TopicDecisions, Envelope: envelope(t, id, "decision", d)}); err != nil {
			t.Fatal(err)
		}
	}
	// finished waits for id's execution.finished and checks the event order.
	finished := func(id string) (*schemas.ExecutionFinished, []bus.Message) {
		t.Helper()
		waitFor(t, "execution.finished of "+id, func() bool {
			for _, m := range execs.of(id) {
				if m.Envelope.Type == schemas.TypeExecutionFinished {
					return true
				}
			}
			return false
		})
		ms := execs.of(id)
		if ms[0].Envelope.Type != schemas.TypeExecutionStarted || ms[1].Envelope.Type != schemas.TypeExecutionFinished {
			t.Fatalf("%s: events %s, %s; want started then finished", id, ms[0].Envelope.Type, ms[1].Envelope.Type)
		}
		fin, err := schemas.DecodeAs[*schemas.ExecutionFinished](ms[1].Envelope)
		if err != nil {
			t.Fatal(err)
		}
		if fin.Error != "" || fin.Response.Status != http.StatusOK || fin.ReplyTo != "ingress-1" {
			t.Fatalf("%s: status %d error %q body %s", id, fin.Response.Status, fin.Error, fin.Response.Body)
		}
		return fin, ms
	}

	// A deny comes first on the single partition: by the time the next
	// decision's events show up, the deny has been handled.
	// kumo's state is per process: bucket names are unique per run.
	bucket := fmt.Sprintf("stage-%d", time.Now().UnixNano())
	decide("req-deny", schemas.Deny, s3Request("PUT", "/denied-bucket"), nil)
	decide("req-create", schemas.Allow, s3Request("PUT", "/"+bucket), nil)
	finished("req-create")

	// PutObject of 1.5 MiB whose body travels as request.body_chunk events.
	big := make([]byte, 3<<19)
	if _, err := rand.Read(big); err != nil {
		t.Fatal(err)
	}
	put := s3Request("PUT", "/"+bucket+"/big", "Content-Type", "application/octet-stream")
	parts := bus.Chunks(big)
	put.HTTP.BodySize, put.HTTP.BodyChunks, put.HTTP.ChunkSHA256 = int64(len(big)), len(parts), bus.ChunkDigests(parts)
	outs := []bus.Output{{Topic: schemas.TopicRequests, Envelope: envelope(t, "req-put", "received", &put)}}
	for i, p := range parts {
		outs = append(outs, bus.Output{Topic: schemas.TopicRequests,
			Envelope: envelope(t, "req-put", fmt.Sprint("chunk-", i), &schemas.RequestBodyChunk{Seq: i, Data: p, Last: i == len(parts)-1})})
	}
	if err := pub.Publish(ctx, outs...); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "request.received on the requests topic", func() bool { return len(reqs.of("req-put")) > 0 })
	ref := reqs.of("req-put")[0].Ref(bcfg)
	decide("req-put", schemas.Allow, put, &ref)
	finished("req-put")

	decide("req-list", schemas.Allow, s3Request("GET", "/"), nil)
	list, _ := finished("req-list")
	if !bytes.Contains(list.Response.Body, []byte("<Name>"+bucket+"</Name>")) || bytes.Contains(list.Response.Body, []byte("denied-bucket")) {
		t.Fatalf("ListBuckets answered %s", list.Response.Body)
	}

	decide("req-get", schemas.Allow, s3Request("GET", "/"+bucket+"/big"), nil)
	get, _ := finished("req-get")
	if get.Response.BodyChunks != 3 || get.Response.BodySize != int64(len(big)) || get.Response.Body != nil {
		t.Fatalf("GetObject: %d chunks, size %d, inline %d", get.Response.BodyChunks, get.Response.BodySize, len(get.Response.Body))
	}
	waitFor(t, "response chunks", func() bool { return len(execs.of("req-get")) >= 2+get.Response.BodyChunks })
	ms := execs.of("req-get")
	var got []byte
	for i, m := range ms[2:] {
		c, err := schemas.DecodeAs[*schemas.ResponseBodyChunk](m.Envelope)
		if err != nil {
			t.Fatal(err)
		}
		if c.Seq != i || c.ReplyTo != "ingress-1" {
			t.Fatalf("chunk %d has seq %d reply-to %q", i, c.Seq, c.ReplyTo)
		}
		got = append(got, c.Data...)
	}
	if !bytes.Equal(got, big) {
		t.Fatal("GetObject chunks do not reassemble the object PutObject stored")
	}

	if n := len(execs.of("req-deny")); n != 0 {
		t.Fatalf("deny produced %d events", n)
	}
	for _, s := range emu.Requests() {
		if strings.Contains(s.Path, "denied-bucket") {
			t.Fatal("denied call reached the upstream")
		}
	}
	for _, id := range []string{"req-create", "req-put", "req-list"} {
		if n := len(execs.of(id)); n != 2 {
			t.Fatalf("%s: %d events, want started and finished once each", id, n)
		}
	}
	if n := len(emu.Requests()); n != 4 {
		t.Fatalf("upstream saw %d calls, want 4", n)
	}
	cancel()
	if err := <-runDone; err != nil {
		t.Fatalf("Run: %v", err)
	}
}
