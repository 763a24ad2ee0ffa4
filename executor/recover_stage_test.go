package executor

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/jitgate/jitgate/internal/bus"
	"github.com/jitgate/jitgate/schemas"
)

// TestStageRecoversAKilledExecutorsCalls simulates an executor killed in
// the middle of two calls: their decisions were consumed and committed
// with their execution.started, and no execution.finished followed. The
// same instance, restarted on the embedded broker, ends the PutObject once
// as outcome-unknown without calling it, and runs the ListBuckets (read-only,
// its agent still waiting) and the write whose request carries an
// idempotency token (the same bytes, so the same token) once more.
func TestStageRecoversAKilledExecutorsCalls(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	broker, err := bus.StartEmbedded(0, "")
	if err != nil {
		t.Fatal(err)
	}
	defer broker.Close()
	var upstreamCalls, tokenCalls atomic.Int32
	upstream := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		upstreamCalls.Add(1)
		if r.Header.Get("X-Amz-Client-Token") == "tok-1" {
			tokenCalls.Add(1)
		}
		w.Write([]byte("<ListAllMyBucketsResult/>"))
	}))
	defer upstream.Close()
	bcfg := bus.Config{Brokers: broker.Addrs(), Prefix: fmt.Sprintf("t%d.", time.Now().UnixNano()), Partitions: 1}
	if err := bus.EnsureTopics(ctx, bcfg); err != nil {
		t.Fatal(err)
	}
	const group, instance = "recover-test", "killed"
	decisions, stopDecisions := tail(t, ctx, bcfg, schemas.TopicDecisions)
	defer stopDecisions()
	execs, stopExecs := tail(t, ctx, bcfg, schemas.TopicExecutions)
	defer stopExecs()
	pub, err := bus.NewPublisher(bcfg)
	if err != nil {
		t.Fatal(err)
	}
	defer pub.Close()

	// What the killed executor left behind.
	put, list := s3Request("PUT", "/bucket/key"), s3Request("GET", "/")
	list.ReadOnly = true
	tok := s3Request("PUT", "/bucket/renamed", "x-amz-client-token", "tok-1")
	tok.HTTP.SignedHeaders = append(tok.HTTP.SignedHeaders, "x-amz-client-token")
	tok.IdempotencyToken = "tok-1"
	for _, c := range []struct {
		id  string
		req schemas.RequestReceived
	}{{"req-put", put}, {"req-list", list}, {"req-tok", tok}} {
		if err := pub.Publish(ctx, bus.Output{Topic: schemas.TopicDecisions,
			Envelope: envelope(t, c.id, "decision", sealed(t, schemas.Allow, c.req, nil))}); err != nil {
			t.Fatal(err)
		}
		waitFor(t, "decision of "+c.id, func() bool { return len(decisions.of(c.id)) == 1 })
		ref := decisions.of(c.id)[0].Ref(bcfg)
		st := &schemas.ExecutionStarted{Attempt: 1, ReadOnly: c.req.ReadOnly, IdempotencyToken: c.req.IdempotencyToken, ReplyTo: c.req.ReplyTo, Service: "s3", Operation: "Op",
			Protocol: "rest-xml", Deadline: c.req.Deadline, Decision: &ref}
		env, err := schemas.NewEnvelope(c.id+"/execution.started/0", c.id, "executor/"+instance, time.Now(), st)
		if err != nil {
			t.Fatal(err)
		}
		if err := schemas.Seal(&env, decisionKey); err != nil {
			t.Fatal(err)
		}
		if err := pub.Publish(ctx, bus.Output{Topic: schemas.TopicExecutions, ReplyTo: c.req.ReplyTo, Envelope: env}); err != nil {
			t.Fatal(err)
		}
	}
	commitPast(t, ctx, bcfg, group, decisions.of("req-tok")[0])

	e, err := New(Config{Bus: bcfg, Group: group, Instance: instance, DecisionKey: decisionKey, Upstream: upstream.URL},
		Deps{Credentials: staticCreds(gatewayCreds), HTTPClient: &http.Client{}})
	if err != nil {
		t.Fatal(err)
	}
	runDone := make(chan error, 1)
	go func() { runDone <- e.Run(ctx) }()

	finishedOf := func(id string) []*schemas.ExecutionFinished {
		var out []*schemas.ExecutionFinished
		for _, m := range execs.of(id) {
			if m.Envelope.Type == schemas.TypeExecutionFinished {
				f, err := schemas.DecodeAs[*schemas.ExecutionFinished](m.Envelope)
				if err != nil {
					t.Fatal(err)
				}
				out = append(out, f)
			}
		}
		return out
	}
	waitFor(t, "the calls to end", func() bool {
		return len(finishedOf("req-put")) > 0 && len(finishedOf("req-list")) > 0 && len(finishedOf("req-tok")) > 0
	})
	time.Sleep(3 * recoverEvery) // later rounds must not end them again
	cancel()
	if err := <-runDone; err != nil {
		t.Fatalf("Run: %v", err)
	}

	if fin := finishedOf("req-put"); len(fin) != 1 || fin[0].ErrorKind != schemas.ErrorOutcomeUnknown || fin[0].ReplyTo != "ingress-1" {
		t.Fatalf("PutObject ended %d times (%+v); want once, outcome unknown", len(fin), fin)
	}
	if fin := finishedOf("req-list"); len(fin) != 1 || fin[0].Error != "" || fin[0].Response.Status != http.StatusOK {
		t.Fatalf("ListBuckets ended %d times (%+v); want once, answered", len(fin), fin)
	}
	if fin := finishedOf("req-tok"); len(fin) != 1 || fin[0].Error != "" || fin[0].Response.Status != http.StatusOK {
		t.Fatalf("the token-bearing write ended %d times (%+v); want once, answered", len(fin), fin)
	}
	for _, id := range []string{"req-list", "req-tok"} {
		var ids []string
		for _, m := range execs.of(id) {
			ids = append(ids, m.Envelope.ID)
		}
		want := []string{id + "/execution.started/0", id + "/execution.started/0/attempt-2", id + "/execution.finished/0/attempt-2"}
		if !slices.Equal(ids, want) {
			t.Errorf("%s: events %q, want %q (the retry's own ids)", id, ids, want)
		}
	}
	if n, k := upstreamCalls.Load(), tokenCalls.Load(); n != 2 || k != 1 {
		t.Errorf("upstream called %d times, %d with the token; want twice (the two retries, one with its token), never the PutObject", n, k)
	}
}

// commitPast commits group's offset past m, as the executor that consumed
// it did in the transaction that wrote its execution.started.
func commitPast(t *testing.T, ctx context.Context, cfg bus.Config, group string, m bus.Message) {
	t.Helper()
	cl, err := kgo.NewClient(kgo.SeedBrokers(cfg.Brokers...))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	var offs kadm.Offsets
	offs.Add(kadm.Offset{Topic: cfg.Topic(m.Topic), Partition: m.Partition, At: m.Offset + 1, LeaderEpoch: -1})
	resp, err := kadm.NewClient(cl).CommitOffsets(ctx, group, offs)
	if err == nil {
		err = resp.Error()
	}
	if err != nil {
		t.Fatal(err)
	}
}
