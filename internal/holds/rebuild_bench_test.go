package holds

import (
	"encoding/json"
	"fmt"
	"runtime"
	"syscall"
	"testing"
	"time"

	"github.com/jitgate/jitgate/internal/ids"
	"github.com/jitgate/jitgate/schemas"
)

// rebuildLog generates a realistic holds-and-grants log, chunk by chunk,
// as the records a role reads at start (sealed by their entitled writers,
// marshalled as they are on Kafka). Holds open evenly over span, the
// topics' retention; each follows one of these lifecycles:
//
//   - 50%: hold.opened, approval.given, hold.approved, grant.opened (an
//     hour's grant); one in ten of those grants is then revoked;
//   - 30%: hold.opened, hold.expired (ten minutes later);
//   - 20%: hold.opened, hold.denied.
//
// About 3.05 events per hold. hold.opened carries a whole request
// (principal, parameters, headers), as the decider writes it.
type rebuildLog struct {
	tb    testing.TB
	span  time.Duration
	holds int // holds in the whole log
	next  int // next hold to generate
}

// eventsPerHold is the mean number of events per hold of rebuildLog.
const eventsPerHold = 0.5*4.1 + 0.3*2 + 0.2*2

func newRebuildLog(tb testing.TB, events int, span time.Duration) *rebuildLog {
	return &rebuildLog{tb: tb, span: span, holds: int(float64(events) / eventsPerHold)}
}

// record is one generated event with the topic and key it travels with.
type record struct {
	topic, key string
	env        schemas.Envelope
}

// records returns the marshalled records of the next n holds (fewer at
// the end), as a tail reads them.
func (l *rebuildLog) records(n int) [][]byte {
	var out [][]byte
	for _, r := range l.chunk(n) {
		b, err := r.env.Marshal()
		if err != nil {
			l.tb.Fatal(err)
		}
		out = append(out, b)
	}
	return out
}

// chunk returns the events of the next n holds (fewer at the end).
func (l *rebuildLog) chunk(n int) []record {
	var out []record
	add := func(id, req string, at time.Time, p schemas.Payload) {
		env, err := schemas.NewEnvelope(id, req, "test", at, p)
		if err != nil {
			l.tb.Fatal(err)
		}
		topic, key := schemas.TopicHolds, req
		switch g := p.(type) {
		case *schemas.GrantOpened:
			topic, key = schemas.TopicGrants, g.GrantID
		case *schemas.GrantRevoked:
			topic, key = schemas.TopicGrants, g.GrantID
		}
		out = append(out, record{topic: topic, key: key, env: seal(l.tb, env)})
	}
	start := t0.Add(-l.span)
	for ; n > 0 && l.next < l.holds; n, l.next = n-1, l.next+1 {
		i := l.next
		at := start.Add(time.Duration(float64(l.span) * float64(i) / float64(l.holds)))
		req := fmt.Sprintf("req-%08d", i)
		agent := schemas.Principal{Subject: fmt.Sprintf("agent-%d", i%200), Issuer: iss, Groups: []string{"agents"}}
		r := request(agent, fmt.Sprintf(`{"Bucket":"prod-data-%d","Key":"exports/2030/01/%08d.parquet","VersionId":"3HL4kqtJlcpXroDTDmJ%d"}`, i%50, i, i))
		r.ReplyTo, r.SessionID, r.Source, r.SigningName, r.Protocol = "ingress-1", "ASIAJITGATE"+req, "10.0.0.7", "s3", "rest-xml"
		r.Deadline = at.Add(30 * time.Second)
		r.HTTP = schemas.HTTPRequest{Method: "GET", Path: fmt.Sprintf("/prod-data-%d/exports/2030/01/%08d.parquet", i%50, i),
			Headers: []schemas.Header{{Name: "Host", Value: "s3.eu-west-1.amazonaws.com"}, {Name: "User-Agent", Value: "aws-sdk-go-v2/1.36.3 os/linux lang/go#1.25 md/GOOS#linux api/s3#1.114.10"},
				{Name: "X-Amz-Content-Sha256", Value: "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"}, {Name: "Amz-Sdk-Invocation-Id", Value: ids.New()}},
			SignedHeaders: []string{"host", "x-amz-content-sha256", "x-amz-date"}}
		tm := schemas.HoldTerms{Approvers: []string{"sre", "secops"}, Approvals: 1, Expires: at.Add(10 * time.Minute),
			Grant: &schemas.GrantTerms{For: time.Hour, Scope: "operation"}}
		add(req+"/hold.opened", req, at, &schemas.HoldOpened{Request: r, Rule: "prod-reads", Reason: "reads of production data need an SRE", Terms: tm})
		switch k := i % 10; {
		case k < 5:
			approvedAt := at.Add(2 * time.Minute)
			add(req+"/approval.given/"+ids.New(), req, approvedAt, &schemas.ApprovalGiven{By: alice, Reason: "ticket OPS-1234"})
			grantID := "grant-" + req
			h := Hold{RequestID: req, Request: r, Rule: "prod-reads", Terms: tm, State: StateApproved}
			g, err := NewGrant(h, []Approval{{By: alice, At: approvedAt}}, grantID, approvedAt)
			if err != nil {
				l.tb.Fatal(err)
			}
			add(req+"/hold.approved", req, approvedAt.Add(time.Millisecond), &schemas.HoldApproved{Approvers: []string{alice.Subject}, GrantID: grantID})
			add(req+"/grant.opened", req, approvedAt.Add(2*time.Millisecond), g)
			if i%100 < 10 {
				add(grantID+"/grant.revoked", req, approvedAt.Add(20*time.Minute), &schemas.GrantRevoked{GrantID: grantID, By: bob, Reason: "done"})
			}
		case k < 8:
			add(req+"/hold.expired", req, tm.Expires, &schemas.HoldExpired{})
		default:
			add(req+"/hold.denied/"+ids.New(), req, at.Add(3*time.Minute), &schemas.HoldDenied{By: bob, Reason: "not during the freeze"})
		}
	}
	return out
}

// replay folds records into s as a role's holds tail does: decode the
// record, Apply the envelope. It returns the number of records.
func replay(tb testing.TB, s *Store, recs [][]byte) int {
	for _, b := range recs {
		env, err := schemas.Unmarshal(b)
		if err != nil {
			tb.Fatal(err)
		}
		if err := s.Apply(env); err != nil {
			tb.Fatalf("apply %s: %v", env.ID, err)
		}
	}
	return len(recs)
}

// cpuTime is the process's user and system CPU time so far: on a machine
// shared with other work, wall time measures the neighbours too.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func heapInUse() uint64 {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.HeapAlloc
}

// BenchmarkRebuild replays a million events, a week of them (the topics'
// default retention), through the code path the decider and the ingress
// run at start (decode, verify, fold), and reports the time of the whole
// rebuild and the heap the view holds after it (everything generating the
// log allocated is collected). The log is generated in chunks outside the
// timer, so only the replay is timed.
//
//	go test -run '^$' -bench BenchmarkRebuild -benchtime 1x ./internal/holds/
func BenchmarkRebuild(b *testing.B) {
	cases := []struct {
		events    int
		pruneEach time.Duration // 0: the store's own
	}{
		{100_000, 0},
		{100_000, pruneEvery}, // the interval before pruneSlices, for the ratio
		{1_000_000, 0},
	}
	for _, bc := range cases {
		name := fmt.Sprintf("%d events over 7 days", bc.events)
		if bc.pruneEach > 0 {
			name += fmt.Sprintf(", pruned every %v", bc.pruneEach)
		}
		events := bc.events
		b.Run(name, func(b *testing.B) {
			for b.Loop() {
				b.StopTimer()
				base := heapInUse()
				s := NewStore(testKey)
				if bc.pruneEach > 0 {
					s.pruneEach = bc.pruneEach
				}
				l := newRebuildLog(b, events, 7*24*time.Hour)
				var took, cpu time.Duration
				n := 0
				for {
					recs := l.records(2000)
					if len(recs) == 0 {
						break
					}
					start, startCPU := time.Now(), cpuTime()
					n += replay(b, s, recs)
					took, cpu = took+time.Since(start), cpu+cpuTime()-startCPU
				}
				heap := heapInUse() - base
				b.ReportMetric(took.Seconds(), "s/rebuild")
				b.ReportMetric(cpu.Seconds(), "cpu-s/rebuild")
				b.ReportMetric(float64(took.Nanoseconds())/float64(n), "ns/event")
				b.ReportMetric(float64(heap)/(1<<20), "MiB-heap-after")
				b.ReportMetric(float64(n), "events")
				s.mu.RLock()
				b.ReportMetric(float64(len(s.holds)), "holds-in-view")
				b.ReportMetric(float64(len(s.grants)), "grants-in-view")
				b.ReportMetric(float64(len(s.seen)), "ids-in-view")
				s.mu.RUnlock()
				runtime.KeepAlive(s)
				b.StartTimer()
			}
		})
	}
}

// TestRebuildLogIsRealistic checks the generated log's mix and that a
// replay applies every event and ends with a view bounded by the
// retention, not by the log.
func TestRebuildLogIsRealistic(t *testing.T) {
	s := NewStore(testKey)
	l := newRebuildLog(t, 3000, 7*24*time.Hour)
	types := map[schemas.Type]int{}
	n := 0
	for {
		recs := l.records(500)
		if len(recs) == 0 {
			break
		}
		for _, b := range recs {
			var env struct {
				Type schemas.Type `json:"type"`
			}
			if err := json.Unmarshal(b, &env); err != nil {
				t.Fatal(err)
			}
			types[env.Type]++
		}
		n += replay(t, s, recs)
	}
	if n < 2900 || n > 3100 {
		t.Errorf("%d events, want about 3000", n)
	}
	holds := types[schemas.TypeHoldOpened]
	for typ, want := range map[schemas.Type]float64{schemas.TypeGrantOpened: 0.5, schemas.TypeHoldExpired: 0.3, schemas.TypeHoldDenied: 0.2, schemas.TypeGrantRevoked: 0.05} {
		if got := float64(types[typ]) / float64(holds); got < want-0.01 || got > want+0.01 {
			t.Errorf("%s per hold: %.2f, want %.2f", typ, got, want)
		}
	}
	// A week of holds, a day's retention: about a seventh stays in view.
	if got := len(s.holds); got > holds/5 || got < holds/10 {
		t.Errorf("%d of %d holds in view after a week; want about a seventh", got, holds)
	}
}

// TestReplayOutOfTimeOrderStaysBounded: a tail from the start reads one
// partition days ahead of another. Replaying four weeks partition by
// partition keeps the view about as small, at its largest, as replaying
// them in time order (pruning follows the view's growth, not only the log
// clock, which a lagging partition does not move), and ends with the same
// active grants and pending holds.
func TestReplayOutOfTimeOrderStaysBounded(t *testing.T) {
	const events, partitions = 30_000, 3
	inOrder, byPartition := NewStore(testKey), NewStore(testKey)
	size := func(s *Store) int {
		s.mu.RLock()
		defer s.mu.RUnlock()
		return len(s.holds) + len(s.grants)
	}
	peakInOrder, peakByPartition := 0, 0
	parts := make([][][]byte, partitions)
	l := newRebuildLog(t, events, 28*24*time.Hour)
	for {
		recs := l.chunk(1000)
		if len(recs) == 0 {
			break
		}
		for _, r := range recs {
			b, err := r.env.Marshal()
			if err != nil {
				t.Fatal(err)
			}
			replay(t, inOrder, [][]byte{b})
			peakInOrder = max(peakInOrder, size(inOrder))
			p := int(r.key[len(r.key)-1]) % partitions
			parts[p] = append(parts[p], b)
		}
	}
	for _, p := range parts {
		for _, b := range p {
			replay(t, byPartition, [][]byte{b})
			peakByPartition = max(peakByPartition, size(byPartition))
		}
	}
	t.Logf("largest view: %d holds and grants in time order, %d partition by partition", peakInOrder, peakByPartition)
	if peakByPartition > 2*peakInOrder+pruneFloor {
		t.Errorf("the view grew to %d holds and grants partition by partition, %d in time order", peakByPartition, peakInOrder)
	}
	now := t0.Add(time.Minute)
	if a, b := len(inOrder.Grants(now)), len(byPartition.Grants(now)); a != b || a == 0 {
		t.Errorf("active grants: %d in time order, %d partition by partition", a, b)
	}
	if a, b := len(inOrder.Pending(now)), len(byPartition.Pending(now)); a != b {
		t.Errorf("pending holds: %d in time order, %d partition by partition", a, b)
	}
}
