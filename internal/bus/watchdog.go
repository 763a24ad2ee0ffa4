package bus

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
)

// The stall watchdog of the stage loop (RunStage). A session can stop
// serving its partitions with nothing in the loop to show for it: franz-go
// keeps retrying an offset fetch the broker answers UNSTABLE_OFFSET_COMMIT
// (a transaction holds the group's offsets), or a rebuilt session's fetches
// never start, and PollFetches simply waits. Seen after broker restarts on
// Kafka 4 (docs/reliability.md): a partition served nothing for minutes
// while records waited on it.
//
// The watchdog looks at the partitions the session owns every
// StallTimeout/4. A partition stalls when records wait on it (its last
// stable offset is past the group's committed offset) and the loop has
// made no progress on it (no batch of it committed, handled without
// outputs, or failed in the handler) for StallTimeout of the loop's own
// time with Kafka: time the loop spends in the handler, waiting for a
// follow-up slot, or pausing after a handler failure does not count (those
// are the failure policy's business, not Kafka's). A partition is judged
// only while the broker answers the watchdog's own questions: a broker
// that is down is an outage the clients ride out, not a stalled session.
//
// A stalled session ends (the loop's poll is cancelled: the loop holds no
// batch then, so nothing half-done is left behind) and RunStage rebuilds
// the client through the rebuild path fencing uses: the new producer's
// initialisation fences the old one and aborts what it left open, and the
// static member rejoins. A second stall with no commit in between also
// leaves the group first, so the partitions are assigned again and their
// offsets fetched anew. Each stall in a row doubles the bound, up to
// maxStallTimeout, so a stall no rebuild can cure (a transaction of
// another producer the broker has not timed out yet) does not make the
// stage thrash. Follow-ups (the executor's calls) are not touched: they
// run once, in the background, across sessions.

// DefaultStallTimeout is Config.StallTimeout's default.
const DefaultStallTimeout = 5 * time.Second

// maxStallTimeout caps the watchdog's bound after stalls in a row.
const maxStallTimeout = time.Minute

// StallError is how a session the watchdog ended reports its stall.
type StallError struct {
	// Partitions are the stalled partitions, "topic/partition (lag N)".
	Partitions []string
	// For is how long they were seen stalled.
	For time.Duration
	// Unstable: the broker answers UNSTABLE_OFFSET_COMMIT for the group's
	// offsets of one of them (a transaction holds them).
	Unstable bool
	// Last is the last error the loop met in this session, if any.
	Last error
}

func (e *StallError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "bus: no progress for %s on partitions with records waiting: %s", e.For.Round(100*time.Millisecond), strings.Join(e.Partitions, ", "))
	if e.Unstable {
		b.WriteString("; the broker answers UNSTABLE_OFFSET_COMMIT for the group's offsets (a transaction holds them)")
	}
	if e.Last != nil {
		fmt.Fprintf(&b, "; last error: %v", e.Last)
	}
	return b.String()
}

// Is makes errors.Is(err, ErrStalled) hold.
func (e *StallError) Is(target error) bool { return target == ErrStalled }

// Unwrap returns the last error.
func (e *StallError) Unwrap() error { return e.Last }

// stallTimeout is the watchdog's bound after stalls stalls in a row.
func stallTimeout(base time.Duration, stalls int) time.Duration {
	d := base
	for range stalls {
		if d >= maxStallTimeout {
			break
		}
		d *= 2
	}
	return min(d, max(base, maxStallTimeout))
}

// loopClock is what the loop tells the watchdog: the time it has spent
// away from Kafka (busy), when it last made progress on each partition, and
// the last error it met. The loop writes it; the watchdog reads it.
type loopClock struct {
	mu        sync.Mutex
	busyTotal time.Duration
	busySince time.Time // zero: not busy
	progress  map[string]map[int32]time.Time
	last      error
}

func newLoopClock() *loopClock {
	return &loopClock{progress: map[string]map[int32]time.Time{}}
}

// busy marks the loop as away from Kafka (in the handler, waiting for a
// slot, pausing after a handler failure) until the returned func runs.
func (c *loopClock) busy() func() {
	c.mu.Lock()
	nested := !c.busySince.IsZero()
	if !nested {
		c.busySince = time.Now()
	}
	c.mu.Unlock()
	return func() {
		if nested {
			return
		}
		c.mu.Lock()
		c.busyTotal += time.Since(c.busySince)
		c.busySince = time.Time{}
		c.mu.Unlock()
	}
}

// busyAt is the loop's busy time up to now, and whether it is busy now.
func (c *loopClock) busyAt(now time.Time) (time.Duration, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.busySince.IsZero() {
		return c.busyTotal, false
	}
	return c.busyTotal + now.Sub(c.busySince), true
}

// progressed marks progress on every partition of fetches that had
// records.
func (c *loopClock) progressed(fetches kgo.Fetches) {
	now := time.Now()
	c.mu.Lock()
	defer c.mu.Unlock()
	fetches.EachPartition(func(p kgo.FetchTopicPartition) {
		if len(p.Records) == 0 {
			return
		}
		if c.progress[p.Topic] == nil {
			c.progress[p.Topic] = map[int32]time.Time{}
		}
		c.progress[p.Topic][p.Partition] = now
	})
}

func (c *loopClock) progressOf(topic string, p int32) time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.progress[topic][p]
}

func (c *loopClock) failed(err error) {
	c.mu.Lock()
	c.last = err
	c.mu.Unlock()
}

func (c *loopClock) lastErr() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.last
}

// watchdog watches one session.
type watchdog struct {
	bound    time.Duration
	group    string
	cfg      Config
	admin    *kadm.Client // on a client outside the session
	owned    *Owned
	clock    *loopClock
	log      *slog.Logger
	stall    func(*StallError) // ends the session
	seen     map[string]map[int32]*lagging
	interval time.Duration
}

// lagging is a partition seen with records waiting since since, when the
// loop's busy time was busy.
type lagging struct {
	since time.Time
	busy  time.Duration
}

// run checks the session every bound/4 until ctx ends or it reports a
// stall.
func (w *watchdog) run(ctx context.Context) {
	w.seen = map[string]map[int32]*lagging{}
	w.interval = max(w.bound/4, 10*time.Millisecond)
	t := time.NewTicker(w.interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if e := w.check(ctx); e != nil {
			w.stall(e)
			return
		}
	}
}

// check looks at the owned partitions once and returns the stall it found.
func (w *watchdog) check(ctx context.Context) *StallError {
	owned := w.owned.list(w.cfg)
	if len(owned) == 0 {
		clear(w.seen)
		return nil
	}
	qctx, cancel := context.WithTimeout(ctx, max(w.interval, time.Second))
	lags, err := w.lags(qctx, owned)
	cancel()
	if err != nil {
		// Unanswered questions are not a stall: start over once the
		// broker answers.
		clear(w.seen)
		return nil
	}
	now := time.Now()
	busy, busyNow := w.clock.busyAt(now)
	suspects := map[string]map[int32]int64{}
	for topic, ps := range owned {
		for _, p := range ps {
			lag := lags[topic][p]
			if lag.n <= 0 {
				delete(w.seen[topic], p)
				continue
			}
			l := w.seen[topic][p]
			if l == nil || w.clock.progressOf(topic, p).After(l.since) {
				if w.seen[topic] == nil {
					w.seen[topic] = map[int32]*lagging{}
				}
				w.seen[topic][p] = &lagging{since: now, busy: busy}
				continue
			}
			if kafka := now.Sub(l.since) - (busy - l.busy); kafka >= w.bound {
				if suspects[topic] == nil {
					suspects[topic] = map[int32]int64{}
				}
				suspects[topic][p] = lag.from
			}
		}
	}
	if len(suspects) == 0 || busyNow {
		return nil
	}
	// The offsets past the committed one may hold no record a reader
	// gets: a transaction's commit or abort marker takes an offset, and
	// a group that has read everything commits the offset of the marker
	// after its last record (lag 1 on every transactionally written
	// topic at rest); aborted records are skipped too. Only a partition
	// where a read_committed reader finds a record is stalled.
	waiting, err := w.waiting(ctx, suspects)
	if err != nil {
		return nil
	}
	var stalled []string
	var longest time.Duration
	for topic, ps := range suspects {
		for p := range ps {
			if !waiting[topic][p] {
				delete(w.seen[topic], p)
				continue
			}
			stalled = append(stalled, fmt.Sprintf("%s/%d (lag %d)", topic, p, lags[topic][p].n))
			longest = max(longest, now.Sub(w.seen[topic][p].since))
		}
	}
	if len(stalled) == 0 {
		return nil
	}
	slices.Sort(stalled)
	return &StallError{Partitions: stalled, For: longest, Unstable: w.unstable(ctx, owned), Last: w.clock.lastErr()}
}

// lag is how far a partition's last stable offset is past the group's
// committed offset (from), in offsets (records, and transaction markers).
type lag struct{ n, from int64 }

// lags returns, for each owned partition, how far its last stable offset
// (read read_committed) is past the group's committed offset (or the log
// start where the group committed nothing).
func (w *watchdog) lags(ctx context.Context, owned map[string][]int32) (map[string]map[int32]lag, error) {
	topics := make([]string, 0, len(owned))
	for t := range owned {
		topics = append(topics, t)
	}
	ends, err := w.admin.ListCommittedOffsets(ctx, topics...)
	if err == nil {
		err = ends.Error()
	}
	if err != nil {
		return nil, fmt.Errorf("list end offsets: %w", err)
	}
	committed, err := w.admin.FetchOffsets(ctx, w.group)
	if err != nil {
		return nil, fmt.Errorf("fetch offsets: %w", err)
	}
	var starts kadm.ListedOffsets
	lags := map[string]map[int32]lag{}
	for topic, ps := range owned {
		lags[topic] = map[int32]lag{}
		for _, p := range ps {
			end, ok := ends.Lookup(topic, p)
			if !ok {
				return nil, fmt.Errorf("no end offset for %s/%d", topic, p)
			}
			at := int64(-1)
			if c, ok := committed.Lookup(topic, p); ok && c.Err == nil {
				at = c.At
			}
			if at < 0 {
				if starts == nil {
					if starts, err = w.admin.ListStartOffsets(ctx, topics...); err == nil {
						err = starts.Error()
					}
					if err != nil {
						return nil, fmt.Errorf("list start offsets: %w", err)
					}
				}
				s, _ := starts.Lookup(topic, p)
				at = s.Offset
			}
			lags[topic][p] = lag{n: end.Offset - at, from: at}
		}
	}
	return lags, nil
}

// waiting reports which of the partitions a read_committed reader starting
// at the given offsets gets a record from, within a second or a quarter of
// the bound.
func (w *watchdog) waiting(ctx context.Context, from map[string]map[int32]int64) (map[string]map[int32]bool, error) {
	at := map[string]map[int32]kgo.Offset{}
	for topic, ps := range from {
		at[topic] = map[int32]kgo.Offset{}
		for p, o := range ps {
			at[topic][p] = kgo.NewOffset().At(o)
		}
	}
	cl, err := kgo.NewClient(w.cfg.clientOpts(kgo.ConsumePartitions(at))...)
	if err != nil {
		return nil, err
	}
	defer cl.Close()
	ctx, cancel := context.WithTimeout(ctx, max(w.interval, time.Second))
	defer cancel()
	got := map[string]map[int32]bool{}
	want, n := 0, 0
	for _, ps := range from {
		want += len(ps)
	}
	for n < want && ctx.Err() == nil {
		cl.PollFetches(ctx).EachPartition(func(p kgo.FetchTopicPartition) {
			if len(p.Records) == 0 || got[p.Topic][p.Partition] {
				return
			}
			if got[p.Topic] == nil {
				got[p.Topic] = map[int32]bool{}
			}
			got[p.Topic][p.Partition] = true
			n++
		})
	}
	return got, nil
}

// unstable reports whether the broker answers UNSTABLE_OFFSET_COMMIT for
// the group's offsets of an owned partition, as franz-go's offset fetch
// (which requires stable offsets) sees them.
func (w *watchdog) unstable(ctx context.Context, owned map[string][]int32) bool {
	ctx, cancel := context.WithTimeout(kadm.RequireStable(ctx), time.Second)
	defer cancel()
	resps, err := w.admin.FetchOffsets(ctx, w.group)
	if errors.Is(err, kerr.UnstableOffsetCommit) {
		return true
	}
	if err != nil {
		return false
	}
	for topic, ps := range owned {
		for _, p := range ps {
			if r, ok := resps.Lookup(topic, p); ok && errors.Is(r.Err, kerr.UnstableOffsetCommit) {
				return true
			}
		}
	}
	return false
}
