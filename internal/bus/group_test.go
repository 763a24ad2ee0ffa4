package bus

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/jitgate/jitgate/schemas"
)

// groupRig is a publisher on a one-broker kfake cluster whose first
// Produce request is held until release is closed, and which counts the
// Produce requests the broker handled.
type groupRig struct {
	pub      *Publisher
	cfg      Config
	held     chan struct{} // closed once the first Produce is held
	release  chan struct{}
	produces atomic.Int32
}

func newGroupRig(t *testing.T) *groupRig {
	c, err := kfake.NewCluster(kfake.NumBrokers(1))
	if err != nil {
		t.Fatal(err)
	}
	broker := &Embedded{c: c}
	t.Cleanup(broker.Close)
	r := &groupRig{cfg: testConfig(t, broker.Addrs()), held: make(chan struct{}), release: make(chan struct{})}
	t.Cleanup(func() {
		select {
		case <-r.release:
		default:
			close(r.release)
		}
	})
	r.pub = testPublisher(t, r.cfg)
	var first sync.Once
	c.ControlKey(int16(kmsg.Produce), func(kmsg.Request) (kmsg.Response, error, bool) {
		c.KeepControl()
		r.produces.Add(1)
		first.Do(func() {
			close(r.held)
			c.SleepControl(func() { <-r.release })
		})
		return nil, nil, false
	})
	return r
}

// publish publishes one event for request id in the background and
// reports its outcome on the returned channel.
func (r *groupRig) publish(t *testing.T, ctx context.Context, id string) <-chan error {
	done := make(chan error, 1)
	env := event(t, id, &schemas.RequestReceived{})
	go func() { done <- r.pub.Publish(ctx, Output{Topic: schemas.TopicRequests, Key: id, Envelope: env}) }()
	return done
}

// queued waits until n callers wait behind the batch in flight.
func (r *groupRig) queued(t *testing.T, n int) {
	waitFor(t, fmt.Sprintf("%d queued publishes", n), func() bool {
		r.pub.group.mu.Lock()
		defer r.pub.group.mu.Unlock()
		return len(r.pub.group.queue) == n
	})
}

// TestGroupProducerSharesRequests checks group commit: publishes made
// while one is in flight go to the broker together, in one Produce
// request, and each caller learns its own outcome; a caller that gives up
// while queued gets its context's error without failing the others.
func TestGroupProducerSharesRequests(t *testing.T) {
	for _, tc := range []struct {
		name     string
		queued   int
		cancel   int // how many of the queued callers give up before the release
		produces int32
	}{
		{name: "nine queued behind one go in one request", queued: 9, produces: 2},
		{name: "a queued caller that gives up fails alone", queued: 4, cancel: 1, produces: 2},
		{name: "every queued caller gives up", queued: 3, cancel: 3, produces: 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := newGroupRig(t)
			ctx := t.Context()
			first := r.publish(t, ctx, "first")
			select {
			case <-r.held:
			case <-time.After(10 * time.Second):
				t.Fatal("the first Produce never reached the broker")
			}
			var dones []<-chan error
			var cancels []context.CancelFunc
			for i := range tc.queued {
				cctx, cancel := context.WithCancel(ctx)
				cancels = append(cancels, cancel)
				dones = append(dones, r.publish(t, cctx, fmt.Sprintf("queued-%d", i)))
			}
			r.queued(t, tc.queued)
			for i := range tc.cancel {
				cancels[i]()
				if err := <-dones[i]; !errors.Is(err, context.Canceled) || !MayHaveLanded(err) {
					t.Fatalf("caller %d gave up and got %v, want context.Canceled", i, err)
				}
			}
			close(r.release)
			if err := <-first; err != nil {
				t.Fatalf("first publish: %v", err)
			}
			for i := tc.cancel; i < tc.queued; i++ {
				if err := <-dones[i]; err != nil {
					t.Fatalf("queued publish %d: %v", i, err)
				}
			}
			// A batch whose callers all left is abandoned without a
			// request; otherwise one request carries the whole batch.
			time.Sleep(100 * time.Millisecond)
			if got := r.produces.Load(); got != tc.produces {
				t.Fatalf("%d Produce requests, want %d", got, tc.produces)
			}
			for _, c := range cancels {
				c()
			}
		})
	}
}

// TestKafkaRequestsCounted checks that the request counters jitbench
// reads (through --pprof's /debug/kafka-requests) count what the clients
// send.
func TestKafkaRequestsCounted(t *testing.T) {
	addrs := brokers(t)["embedded"]
	cfg := testConfig(t, addrs)
	pub := testPublisher(t, cfg)
	before := KafkaRequests()["Produce"]
	for i := range 3 {
		env := event(t, fmt.Sprintf("r%d", i), &schemas.RequestReceived{})
		if err := pub.Publish(t.Context(), Output{Topic: schemas.TopicRequests, Key: env.RequestID, Envelope: env}); err != nil {
			t.Fatal(err)
		}
	}
	if got := KafkaRequests()["Produce"] - before; got < 3 {
		t.Fatalf("%d Produce requests counted for three synchronous publishes", got)
	}
}
