package deadletters

import (
	"context"
	"fmt"
	"os"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jitgate/jitgate/internal/bus"
	"github.com/jitgate/jitgate/schemas"
)

// brokers yields the embedded broker, and a real one when
// JITGATE_TEST_KAFKA names it.
func brokers(t *testing.T) map[string][]string {
	t.Helper()
	e, err := bus.StartEmbedded(0, "")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(e.Close)
	out := map[string][]string{"embedded": e.Addrs()}
	if real := os.Getenv("JITGATE_TEST_KAFKA"); real != "" {
		out["kafka"] = strings.Split(real, ",")
	}
	return out
}

func event(t *testing.T, id string, p schemas.Payload) schemas.Envelope {
	t.Helper()
	env, err := schemas.NewEnvelope(id+"-"+string(p.EventType()), id, "test", time.Now(), p)
	if err != nil {
		t.Fatal(err)
	}
	return env
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(30 * time.Second); !cond(); time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
	}
}

// A record a stage gave up on is listed once, and redriving it hands the
// same record to the stage again, from the dead letter or, when its value
// was withheld (the raw executions topic), from its source.
func TestRedriveRepublishesTheOriginalRecord(t *testing.T) {
	cases := []struct {
		name     string
		topic    string
		payload  schemas.Payload
		withheld bool
	}{
		{"value kept", schemas.TopicRequests, &schemas.RequestReceived{}, false},
		{"value withheld on the raw topic", schemas.TopicExecutions, &schemas.ExecutionFinished{}, true},
	}
	for name, addrs := range brokers(t) {
		t.Run(name, func(t *testing.T) {
			for _, c := range cases {
				t.Run(c.name, func(t *testing.T) {
					ctx, cancel := context.WithCancel(context.Background())
					defer cancel()
					cfg := bus.Config{Brokers: addrs, Prefix: fmt.Sprintf("t%d.", time.Now().UnixNano()), Partitions: 2, Replication: 1}
					if err := bus.EnsureTopics(ctx, cfg); err != nil {
						t.Fatal(err)
					}
					// The stage fails on everything until healed.
					var healed atomic.Bool
					var mu sync.Mutex
					var handled []string
					go bus.RunStage(ctx, bus.StageConfig{Bus: cfg, Group: "dl." + strings.ReplaceAll(t.Name(), "/", "."), Topics: []string{c.topic}, Instance: "i1", MaxAttempts: 1},
						func(ctx context.Context, m bus.Message) (bus.Result, error) {
							if !healed.Load() {
								return bus.Result{}, fmt.Errorf("not today")
							}
							mu.Lock()
							handled = append(handled, m.Envelope.ID)
							mu.Unlock()
							return bus.Result{}, nil
						})
					pub, err := bus.NewPublisher(cfg)
					if err != nil {
						t.Fatal(err)
					}
					defer pub.Close()
					orig := event(t, "req-1", c.payload)
					if err := pub.Publish(ctx, bus.Output{Topic: c.topic, Envelope: orig}); err != nil {
						t.Fatal(err)
					}
					var all []Entry
					waitFor(t, "the dead letter", func() bool {
						lctx, lcancel := context.WithTimeout(ctx, 10*time.Second)
						defer lcancel()
						all, err = List(lctx, cfg, nil)
						return err == nil && len(all) == 1
					})
					e := all[0]
					if e.EventID != orig.ID || e.Stage != "dl."+strings.ReplaceAll(t.Name(), "/", ".") || e.Kind != schemas.DeadLetterFailed || e.RequestID != "req-1" ||
						e.Topic != cfg.Topic(c.topic) || (e.ValueWithheld != "") != c.withheld || (len(e.Value) == 0) != c.withheld {
						t.Fatalf("entry %+v", e)
					}
					rec, err := Record(ctx, cfg, e)
					if err != nil {
						t.Fatal(err)
					}
					want, _ := orig.Marshal()
					if string(rec.Value) != string(want) || rec.Topic != cfg.Topic(c.topic) {
						t.Fatalf("rebuilt record %s on %s, want the original %s", rec.Value, rec.Topic, want)
					}
					if !slices.ContainsFunc(rec.Headers, func(h schemas.RecordHeader) bool {
						return h.Key == schemas.HeaderRedriveOf && string(h.Value) == e.ID
					}) {
						t.Fatalf("headers %v lack %s", rec.Headers, schemas.HeaderRedriveOf)
					}
					healed.Store(true)
					found, err := Find(all, e.ID)
					if err != nil {
						t.Fatal(err)
					}
					if err := Redrive(ctx, cfg, pub, found...); err != nil {
						t.Fatal(err)
					}
					waitFor(t, "the stage to handle the redriven record", func() bool {
						mu.Lock()
						defer mu.Unlock()
						return slices.Equal(handled, []string{orig.ID})
					})
					if _, err := Find(all, "no-such-id"); err == nil {
						t.Fatal("Find accepted an unknown id")
					}
				})
			}
		})
	}
}
