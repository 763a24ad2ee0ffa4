package bus

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/jitgate/jitgate/schemas"
)

// BenchmarkHop measures one event's way from a publish to a tail, one at a
// time (latency, not throughput):
//
//   - direct: published straight to the tailed topic (the floor);
//   - transactional: through a RunStage stage, whose output and input
//     offset commit in one Kafka transaction (the decider, the executor);
//   - idempotent: through a RunStage stage with StageConfig.Idempotent,
//     whose output an idempotent producer writes before the input's
//     offset is committed (the masker).
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
	case "transactional", "idempotent":
		// The benchmark runs this function more than once with the same
		// group and instance: the stage must have left the group before
		// the next one joins, or its leave would evict its successor.
		stopped := make(chan struct{})
		go func() {
			defer close(stopped)
			RunStage(ctx, StageConfig{Bus: cfg, Group: testGroup(b), Topics: []string{in}, Instance: "i1", Idempotent: mode == "idempotent"},
				func(ctx context.Context, m Message) (Result, error) { return Result{Out: []Output{forward(m)}}, nil })
		}()
		defer func() { cancel(); <-stopped }()
	}
	pub := testPublisher(b, cfg)
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
