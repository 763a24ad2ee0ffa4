package bus

import (
	"context"
	"testing"

	"github.com/jitgate/jitgate/schemas"
)

// TestOwnedFollowsTheGroup: a stage's Owned set holds the partitions the
// group assigned it, two members split them without overlap, and a stopped
// member owns nothing.
func TestOwnedFollowsTheGroup(t *testing.T) {
	eachStage(t, func(t *testing.T, addrs []string, idempotent bool) {
		cfg := testConfig(t, addrs) // 3 partitions
		h := func(context.Context, Message) (Result, error) { return Result{}, nil }
		start := func(instance string) (*Owned, func()) {
			ctx, cancel := context.WithCancel(context.Background())
			owned, done := NewOwned(), make(chan error, 1)
			go func() {
				done <- RunStage(ctx, StageConfig{Bus: cfg, Group: testGroup(t), Topics: []string{schemas.TopicDecisions},
					Instance: instance, Idempotent: idempotent, Owned: owned}, h)
			}()
			return owned, func() { cancel(); <-done }
		}
		a, stopA := start("a")
		waitFor(t, "a to own every partition", func() bool { return a.Count() == int(cfg.Partitions) })
		b, stopB := start("b")
		defer stopB()
		waitFor(t, "a and b to split the partitions", func() bool {
			return a.Count() > 0 && b.Count() > 0 && a.Count()+b.Count() == int(cfg.Partitions)
		})
		for p := range cfg.Partitions {
			if a.Owns(schemas.TopicDecisions, p) == b.Owns(schemas.TopicDecisions, p) {
				t.Errorf("partition %d: a owns %v, b owns %v", p, a.Owns(schemas.TopicDecisions, p), b.Owns(schemas.TopicDecisions, p))
			}
		}
		if a.Owns(schemas.TopicRequests, 0) || b.Owns(schemas.TopicRequests, 0) {
			t.Error("a topic nobody consumes is owned")
		}
		stopA()
		if n := a.Count(); n != 0 {
			t.Errorf("a stopped stage owns %d partitions", n)
		}
		waitFor(t, "b to take a's partitions", func() bool { return b.Count() == int(cfg.Partitions) })
	})
}
