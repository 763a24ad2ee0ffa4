package holds

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/jitgate/jitgate/internal/bus"
	"github.com/jitgate/jitgate/schemas"
)

// BenchmarkRebuildFromKafka is BenchmarkRebuild through the embedded
// broker: the log is published to the holds and grants topics (keyed as
// the roles key them), then a tail from the start, as the decider's and
// the ingress's, folds it into a new store until it has caught up. Only
// the rebuild is timed; the heap it reports includes the tail's client.
//
//	go test -run '^$' -bench BenchmarkRebuildFromKafka -benchtime 1x ./internal/holds/
func BenchmarkRebuildFromKafka(b *testing.B) {
	for _, events := range []int{1_000_000} {
		b.Run(fmt.Sprintf("%d events over 7 days", events), func(b *testing.B) {
			for b.Loop() {
				b.StopTimer()
				ctx, cancel := context.WithCancel(context.Background())
				broker, err := bus.StartEmbedded(0, "")
				if err != nil {
					b.Fatal(err)
				}
				cfg := bus.Config{Brokers: broker.Addrs(), Prefix: fmt.Sprintf("b%d.", time.Now().UnixNano()), Partitions: 3}
				if err := bus.EnsureTopics(ctx, cfg); err != nil {
					b.Fatal(err)
				}
				pub, err := bus.NewPublisher(cfg)
				if err != nil {
					b.Fatal(err)
				}
				l := newRebuildLog(b, events, 7*24*time.Hour)
				n := 0
				for {
					recs := l.chunk(2000)
					if len(recs) == 0 {
						break
					}
					outs := make([]bus.Output, len(recs))
					for i, r := range recs {
						outs[i] = bus.Output{Topic: r.topic, Key: r.key, Envelope: r.env}
					}
					if err := pub.Publish(ctx, outs...); err != nil {
						b.Fatal(err)
					}
					n += len(recs)
				}
				pub.Close()
				base := heapInUse()

				start, startCPU := time.Now(), cpuTime()
				s := NewStore(testKey)
				tail, err := bus.NewTail(ctx, cfg, bus.FromStart, nil, schemas.TopicHolds, schemas.TopicGrants)
				if err != nil {
					b.Fatal(err)
				}
				done := make(chan error, 1)
				go func() {
					done <- tail.Run(ctx, nil, func(m bus.Message) {
						if err := s.Apply(m.Envelope); err != nil {
							b.Errorf("apply %s: %v", m.Envelope.ID, err)
						}
					})
				}()
				<-tail.CaughtUp()
				took, cpu := time.Since(start), cpuTime()-startCPU
				heap := heapInUse() - base
				b.ReportMetric(took.Seconds(), "s/rebuild")
				b.ReportMetric(cpu.Seconds(), "cpu-s/rebuild")
				b.ReportMetric(float64(heap)/(1<<20), "MiB-heap-after")
				b.ReportMetric(float64(n), "events")
				s.mu.RLock()
				b.ReportMetric(float64(len(s.holds)), "holds-in-view")
				b.ReportMetric(float64(len(s.grants)), "grants-in-view")
				s.mu.RUnlock()
				cancel()
				<-done
				broker.Close()
				b.StartTimer()
			}
		})
	}
}
