package decider

import (
	"strings"
	"testing"
	"time"

	"github.com/jitgate/jitgate/internal/bus"
	"github.com/jitgate/jitgate/schemas"
)

// shortHolds is testPolicy with the stop-instances hold expiring after 4s.
var shortHolds = strings.Replace(testPolicy, "wait: 5m", "wait: 4s", 1)

// replicas starts deciders with these instances in one group on b and
// waits until each owns some partitions.
func replicas(t *testing.T, b bus.Config, instances ...string) (map[string]*Decider, map[string]func(), map[string]Config) {
	t.Helper()
	ds, stops, cfgs := map[string]*Decider{}, map[string]func(){}, map[string]Config{}
	for _, inst := range instances {
		cfg := stageConfig(t, b, inst, shortHolds)
		cfg.ExpireGrace = 50 * time.Millisecond
		ds[inst], stops[inst] = startDecider(t, cfg)
		cfgs[inst] = cfg
	}
	waitFor(t, "every replica to own partitions", within, func() bool {
		total := 0
		for _, d := range ds {
			if d.owned.Count() == 0 {
				return false
			}
			total += d.owned.Count()
		}
		return total == 2*int(b.Partitions) // requests and holds
	})
	return ds, stops, cfgs
}

// ownerOf is the instance whose decider owns partition p of the holds topic.
func ownerOf(t *testing.T, ds map[string]*Decider, p int32) string {
	t.Helper()
	for inst, d := range ds {
		if d.owned.Owns(schemas.TopicHolds, p) {
			return inst
		}
	}
	t.Fatalf("no replica owns holds partition %d", p)
	return ""
}

// onlyExpiry waits for the hold's hold.expired, then a while longer (many
// expiry rounds of every replica), and returns it: the only one written.
func onlyExpiry(t *testing.T, seen *observer, reqID string) bus.Message {
	t.Helper()
	waitFor(t, "hold.expired of "+reqID, within, func() bool { return len(seen.all(schemas.TypeHoldExpired, reqID)) > 0 })
	time.Sleep(time.Second) // 20 rounds of each replica's expirer
	got := seen.all(schemas.TypeHoldExpired, reqID)
	if len(got) != 1 {
		producers := make([]string, len(got))
		for i, m := range got {
			producers[i] = m.Envelope.Producer
		}
		t.Fatalf("%d hold.expired records for one hold, by %v; want one, by the partition's owner", len(got), producers)
	}
	return got[0]
}

// TestStageOnlyOwnerExpires: two decider replicas see the same hold
// expire; only the one owning its holds partition writes hold.expired,
// once, and the waiting agent is answered once.
func TestStageOnlyOwnerExpires(t *testing.T) {
	b := broker(t)
	seen := observe(t, b, nil, schemas.TopicHolds, schemas.TopicResponses)
	ds, _, _ := replicas(t, b, "decider-a", "decider-b")
	pub := publisher(t, b)

	in := live(t, stopInst)
	publish(t, pub, schemas.TopicRequests, in)
	await[*schemas.HoldOpened](t, seen, in.RequestID)
	p := seen.all(schemas.TypeHoldOpened, in.RequestID)[0].Partition
	exp := onlyExpiry(t, seen, in.RequestID)
	owner := ownerOf(t, ds, p)
	if want := schemas.ProducerName(schemas.RoleDecider, owner); exp.Envelope.Producer != want || exp.Partition != p {
		t.Fatalf("hold.expired written by %s to partition %d; want by %s, the owner of partition %d", exp.Envelope.Producer, exp.Partition, want, p)
	}
	if n := len(seen.all(schemas.TypeResponseReady, in.RequestID)); n != 1 {
		t.Fatalf("%d response.ready for the expired hold", n)
	}
}

// TestStageExpiryMovesWithPartition: the owner of a hold's partition stops
// before the hold expires; the partition moves to the other replica,
// which writes the expiry (the hold is not left pending).
func TestStageExpiryMovesWithPartition(t *testing.T) {
	b := broker(t)
	seen := observe(t, b, nil, schemas.TopicHolds)
	ds, stops, cfgs := replicas(t, b, "decider-a", "decider-b")
	pub := publisher(t, b)

	in := live(t, stopInst)
	publish(t, pub, schemas.TopicRequests, in)
	await[*schemas.HoldOpened](t, seen, in.RequestID)
	opened := seen.all(schemas.TypeHoldOpened, in.RequestID)[0]
	owner := ownerOf(t, ds, opened.Partition)
	survivor := "decider-a"
	if owner == survivor {
		survivor = "decider-b"
	}
	// Stop the owner once no transaction of its is open (a successor
	// would wait for it to time out), well before the hold expires.
	idle(t, b, cfgs[owner], opened)
	stops[owner]()
	if len(seen.all(schemas.TypeHoldExpired, in.RequestID)) != 0 {
		t.Fatal("the hold expired before its owner stopped; the test proves nothing")
	}
	exp := onlyExpiry(t, seen, in.RequestID)
	if want := schemas.ProducerName(schemas.RoleDecider, survivor); exp.Envelope.Producer != want {
		t.Fatalf("hold.expired written by %s; want by %s, the partition's new owner", exp.Envelope.Producer, want)
	}
	if !ds[survivor].owned.Owns(schemas.TopicHolds, opened.Partition) {
		t.Fatalf("%s does not own holds partition %d", survivor, opened.Partition)
	}
}
