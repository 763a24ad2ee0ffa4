package bus

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/jitgate/jitgate/schemas"
)

// A slow follow-up (an upstream call that takes seconds) must not hold up
// the events behind it, and stopping the stage must let it finish and
// publish its outcome.
func TestSlowAfterDoesNotBlockOthers(t *testing.T) {
	eachStage(t, func(t *testing.T, addrs []string, idempotent bool) {
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		cfg := testConfig(t, addrs)
		tailCtx, stopTail := context.WithCancel(context.Background())
		defer stopTail()
		got, stop := collect(t, tailCtx, cfg, "", schemas.TopicExecutions)
		defer stop()

		release := make(chan struct{})
		handler := func(ctx context.Context, m Message) (Result, error) {
			id := m.Envelope.RequestID
			return Result{After: func(ctx context.Context) []Output {
				if id == "slow" {
					<-release
				}
				fin := event(t, id, &schemas.ExecutionFinished{})
				return []Output{{Topic: schemas.TopicExecutions, Envelope: fin}}
			}}, nil
		}
		stageDone := make(chan error, 1)
		go func() {
			stageDone <- RunStage(ctx, StageConfig{Bus: cfg, Group: testGroup(t), Topics: []string{schemas.TopicDecisions}, Instance: "i1", Idempotent: idempotent}, handler)
		}()
		pub := testPublisher(t, cfg)
		publish := func(id string) {
			t.Helper()
			if err := pub.Publish(ctx, Output{Topic: schemas.TopicDecisions, Envelope: event(t, id, &schemas.DecisionMade{Outcome: schemas.Allow})}); err != nil {
				t.Fatal(err)
			}
		}
		publish("slow")
		// Same key, so the same partition: the fast ones are behind
		// the slow one in the log.
		for _, id := range []string{"fast-1", "fast-2"} {
			if err := pub.Publish(ctx, Output{Topic: schemas.TopicDecisions, Key: "slow",
				Envelope: event(t, id, &schemas.DecisionMade{Outcome: schemas.Allow})}); err != nil {
				t.Fatal(err)
			}
		}
		waitFor(t, "the fast follow-ups while the slow one runs", func() bool {
			g := got()
			return slices.Contains(g, "fast-1") && slices.Contains(g, "fast-2")
		})
		if slices.Contains(got(), "slow") {
			t.Fatal("the slow follow-up finished before it was released")
		}

		// Stop the stage with the slow call in flight: RunStage must
		// wait for it and publish its outcome.
		cancel()
		select {
		case err := <-stageDone:
			t.Fatalf("RunStage returned (%v) while a follow-up was in flight", err)
		case <-time.After(200 * time.Millisecond):
		}
		close(release)
		if err := <-stageDone; err != nil {
			t.Fatalf("RunStage: %v", err)
		}
		waitFor(t, "the slow follow-up's outcome", func() bool { return slices.Contains(got(), "slow") })
	})
}
