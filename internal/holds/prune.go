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
const (
	pruneEvery  = time.Minute
	pruneSlices = 24
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

// pruneLocked drops, at most every pruneInterval of log time, what ended more
// than the retention before now (the time of the event being applied, so
// that every replica replaying the log prunes alike): ended holds without
// a grant in view, grants expired that long ago, early revocations and
// event ids. Callers hold s.mu.
func (s *Store) pruneLocked(now time.Time) {
	if now.Sub(s.lastPrune) < s.pruneEach {
		return
	}
	s.lastPrune = now
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
