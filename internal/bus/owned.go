package bus

import (
	"context"
	"sync"

	"github.com/twmb/franz-go/pkg/kgo"
)

// Owned is the set of partitions a stage's group member owns right now,
// kept by RunStage when StageConfig.Owned is set. Stages that must act
// once per request outside the consume loop (the executor, resolving calls
// a crash left open) ask it which requests are theirs: records are keyed by
// request id, so the member owning a request's partition is the one to act.
//
// It follows the group's callbacks: partitions are added when assigned and
// removed when revoked or lost, and every partition is dropped when a
// session ends (a stopped, fenced or rebuilding stage owns nothing). Around
// a rebalance two members may briefly both believe they own a partition (a
// member learns it lost one at its next heartbeat): whatever is done under
// Owned must be idempotent, for example an event with a derived id.
type Owned struct {
	mu    sync.Mutex
	parts map[string]map[int32]bool // topic suffix -> partitions
	cfg   Config
}

// NewOwned returns an empty set.
func NewOwned() *Owned { return &Owned{parts: map[string]map[int32]bool{}} }

// Owns reports whether the member owns partition of topic (a suffix, such
// as schemas.TopicDecisions).
func (o *Owned) Owns(topic string, partition int32) bool {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.parts[topic][partition]
}

// Count is how many partitions the member owns, over all topics.
func (o *Owned) Count() int {
	o.mu.Lock()
	defer o.mu.Unlock()
	n := 0
	for _, ps := range o.parts {
		n += len(ps)
	}
	return n
}

func (o *Owned) set(topics map[string][]int32, owned bool) {
	o.mu.Lock()
	defer o.mu.Unlock()
	for full, ps := range topics {
		t := o.cfg.Suffix(full)
		if o.parts[t] == nil {
			o.parts[t] = map[int32]bool{}
		}
		for _, p := range ps {
			if owned {
				o.parts[t][p] = true
			} else {
				delete(o.parts[t], p)
			}
		}
	}
}

func (o *Owned) clear() {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.parts = map[string]map[int32]bool{}
}

// opts are the group callbacks that keep o current. The transactional
// session wraps the revoke and lose callbacks and still calls these.
func (o *Owned) opts(cfg Config) []kgo.Opt {
	o.mu.Lock()
	o.cfg = cfg
	o.mu.Unlock()
	add := func(_ context.Context, _ *kgo.Client, m map[string][]int32) { o.set(m, true) }
	drop := func(_ context.Context, _ *kgo.Client, m map[string][]int32) { o.set(m, false) }
	return []kgo.Opt{kgo.OnPartitionsAssigned(add), kgo.OnPartitionsRevoked(drop), kgo.OnPartitionsLost(drop)}
}

// list returns the owned partitions by full topic name.
func (o *Owned) list(cfg Config) map[string][]int32 {
	o.mu.Lock()
	defer o.mu.Unlock()
	out := map[string][]int32{}
	for t, ps := range o.parts {
		for p := range ps {
			out[cfg.Topic(t)] = append(out[cfg.Topic(t)], p)
		}
	}
	return out
}
