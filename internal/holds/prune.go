package holds

import (
	"slices"
	"time"

	"github.com/jitgate/jitgate/schemas"
)

// DefaultRetention is how long a Store keeps an ended hold, an expired
// grant and the id of an applied event, counted from when it ended: long
// enough for approvers to look back at the day's decisions (the audit log
// keeps everything), short enough that a long-running view stays bounded.
const DefaultRetention = 24 * time.Hour

// pruneEvery is the least log time between two pruning passes, and
// pruneSlices how many passes a retention holds at most. A pass walks the
// whole view (the holds, grants and event ids of a retention's worth of
// log), so passing every minute made a replay cost about retention/minute
// = 1440 map entries per event with the default retention, most of them
// cache misses: 250 µs an event, four minutes for a million events
// (BenchmarkRebuild). A pass every retention/24 costs 24 entries an event
// and keeps at most 1/24 of a retention (an hour) more in view.
//
// A replay does not read the log in time order: a tail from the start
// reads each partition of the holds and grants topics as fast as it can,
// so one partition may be days ahead of another. Pruning is therefore
// timed by the newest event time seen (the store's log clock), and a view
// that has doubled since the last pass (plus pruneFloor entries) is
// pruned whatever the clock says: a partition replayed behind the clock
// adds entries that are already a retention old, and without that trigger
// they stayed until the clock next moved an interval on (five times the
// view, measured through the embedded broker).
const (
	pruneEvery  = time.Minute
	pruneSlices = 24
	pruneFloor  = 1024
)

// pruneInterval is the log time between pruning passes under retention
// r.
func pruneInterval(r time.Duration) time.Duration { return max(pruneEvery, r/pruneSlices) }

// SetRetention changes how long ended holds, expired grants and applied
// event ids stay in view (DefaultRetention unless set); d <= 0 keeps the
// default.
func (s *Store) SetRetention(d time.Duration) {
	if d <= 0 {
		d = DefaultRetention
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.retention, s.pruneEach = d, pruneInterval(d)
}

// forgetAfter is when the id of env may leave the seen set. An event that
// opens something must be remembered as long as what it opened: an
// authentic grant.opened published again after its id was forgotten would
// otherwise reopen a revoked grant, so it is remembered until the grant
// has expired plus the retention (a replayed hold.opened is harmless: its
// hold is expired by its own terms).
func (s *Store) forgetAfter(env schemas.Envelope, p schemas.Payload) time.Time {
	end := env.Time
	switch p := p.(type) {
	case *schemas.GrantOpened:
		end = later(end, p.Expires)
	case *schemas.HoldOpened:
		end = later(end, p.Terms.Expires)
	}
	return end.Add(s.retention)
}

// pruneLocked advances the log clock to at (the time of the event being
// applied) and, every pruneInterval of log clock or when the view has
// doubled since the last pass, drops what ended more than the retention
// before the clock: ended holds without a grant in view, grants expired
// that long ago, early revocations and event ids. What it drops is over
// by the time of an event already in the log, so no later event can
// change it; replicas that read the partitions in another interleaving
// may prune at other moments, never other entries' fate. Callers hold
// s.mu.
func (s *Store) pruneLocked(at time.Time) {
	if at.After(s.clock) {
		s.clock = at
	}
	now := s.clock
	if now.Sub(s.lastPrune) < s.pruneEach && s.viewSize() < 2*s.prunedSize+pruneFloor {
		return
	}
	s.lastPrune = now
	defer func() { s.prunedSize = s.viewSize() }()
	cutoff := now.Add(-s.retention)
	for id, g := range s.grants {
		if g.Expires.Before(cutoff) {
			delete(s.grants, id)
			k := keyOf(g.Principal)
			s.owned[k] = slices.DeleteFunc(s.owned[k], func(e *grantEntry) bool { return e == g })
			if len(s.owned[k]) == 0 {
				delete(s.owned, k)
			}
		}
	}
	for id, h := range s.holds {
		if _, granted := s.grants[h.GrantID]; granted || !h.endedBefore(cutoff) {
			continue
		}
		delete(s.holds, id)
	}
	for id, r := range s.early {
		if r.at.Before(cutoff) {
			delete(s.early, id)
		}
	}
	for id, until := range s.seen {
		if until.Before(now) {
			delete(s.seen, id)
		}
	}
}

// viewSize is the number of entries pruning walks.
func (s *Store) viewSize() int { return len(s.holds) + len(s.grants) + len(s.seen) + len(s.early) }

// endedBefore reports whether the hold was over (resolved, or expired by
// its terms) before t.
func (h *Hold) endedBefore(t time.Time) bool {
	if h.State != StatePending {
		return h.ResolvedAt.Before(t) || h.Terms.Expires.Before(t) && h.ResolvedAt.IsZero()
	}
	return h.Terms.Expires.Before(t)
}

func later(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}
