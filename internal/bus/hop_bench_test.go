package bus

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/jitgate/jitgate/schemas"
)

// BenchmarkHop measures one event's way from a publish to a tail, one at a
// time (latency, not throughput):
//
//   - direct: published straight to the tailed topic (the floor);
//   - transactional: through a RunStage stage, whose output and input
//     offset commit in one Kafka transaction (decider, executor, masker);
//   - idempotent: through a consumer that publishes with an idempotent
//     producer and then commits the input's offset (the cheaper design an
//     event-id de-duplicating stage could use).
//
// The difference to direct is what the stage's commit costs. Run on both
// brokers with scripts/test.sh -run '^$' -bench Hop ./internal/bus/.
func BenchmarkHop(b *testing.B) {
	for name, addrs := range brokers(b) {
		for _, mode := range []string{"direct", "transactional", "idempotent"} {
			b.Run(name+"/"+mode, func(b *testing.B) { benchHop(b, addrs, mode) })
		}
	}
}

func benchHop(b *testing.B, addrs []string, mode string) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	cfg := testConfig(b, addrs)
	arrived := make(chan string, 1)
	tail, err := NewTail(ctx, cfg, FromEnd, nil, schemas.TopicResponses)
	if err != nil {
		b.Fatal(err)
	}
	go tail.Run(ctx, nil, func(m Message) { arrived <- m.Envelope.RequestID })
	forward := func(m Message) Output {
		return Output{Topic: schemas.TopicResponses, Envelope: event(b, m.Envelope.RequestID, &schemas.ResponseReady{Outcome: schemas.OutcomeDenied})}
	}
	in := schemas.TopicRequests
	switch mode {
	case "direct":
		in = schemas.TopicResponses
	case "transactional":
		go RunStage(ctx, StageConfig{Bus: cfg, Group: testGroup(b), Topics: []string{in}, Instance: "i1"},
			func(ctx context.Context, m Message) (Result, error) { return Result{Out: []Output{forward(m)}}, nil })
	case "idempotent":
		go idempotentStage(ctx, b, cfg, in, forward)
	}
	pub, err := NewPublisher(cfg)
	if err != nil {
		b.Fatal(err)
	}
	defer pub.Close()
	hop := func(id string) {
		if err := pub.Publish(ctx, Output{Topic: in, Envelope: event(b, id, &schemas.RequestReceived{})}); err != nil {
			b.Fatal(err)
		}
		select {
		case got := <-arrived:
			if got != id {
				b.Fatalf("got %s, want %s", got, id)
			}
		case <-time.After(30 * time.Second):
			b.Fatalf("%s did not arrive", id)
		}
	}
	hop("warm-up") // group join, producer id
	b.ResetTimer()
	for i := range b.N {
		hop(fmt.Sprint("r", i))
	}
}

// idempotentStage consumes in as group "g", publishes fn's output with an
// idempotent producer and commits the input's offset after the brokers
// acknowledged it: at-least-once, with duplicates left to event ids.
func idempotentStage(ctx context.Context, b *testing.B, cfg Config, in string, fn func(Message) Output) {
	cl, err := kgo.NewClient(cfg.groupOpts("g", []string{in}, kgo.DisableAutoCommit())...)
	if err != nil {
		b.Error(err)
		return
	}
	defer cl.Close()
	for {
		fs := cl.PollFetches(ctx)
		if ctx.Err() != nil {
			return
		}
		var recs []*kgo.Record
		fs.EachRecord(func(r *kgo.Record) {
			m, err := cfg.message(r)
			if err != nil {
				b.Error(err)
				return
			}
			rec, err := cfg.record(fn(m))
			if err != nil {
				b.Error(err)
				return
			}
			recs = append(recs, rec)
		})
		err := cl.ProduceSync(ctx, recs...).FirstErr()
		if err == nil {
			err = cl.CommitUncommittedOffsets(ctx)
		}
		if err != nil {
			if ctx.Err() == nil {
				b.Error(err)
			}
			return
		}
	}
}
