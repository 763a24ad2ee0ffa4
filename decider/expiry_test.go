package decider

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/jitgate/jitgate/internal/holds"
	"github.com/jitgate/jitgate/schemas"
)

// fakeGate is an expiryGate whose ownership and progress a test sets.
type fakeGate struct {
	owned, reached map[int32]bool
	markErr        error
	marks          int
}

func (g *fakeGate) gate() expiryGate {
	return expiryGate{
		mark: func(context.Context) (func(int32) bool, error) {
			g.marks++
			if g.markErr != nil {
				return nil, g.markErr
			}
			// The mark reports progress as the test sets it later, like a
			// tail that keeps reading.
			return func(p int32) bool { return g.reached[p] }, nil
		},
		owns: func(p int32) bool { return g.owned[p] },
	}
}

// heldIn runs c through the decider and applies the hold it opens as read
// from partition p of the holds topic.
func heldIn(t *testing.T, u *unit, c call, p int32) schemas.Envelope {
	t.Helper()
	in := received(t, c)
	for _, o := range u.handle(t, schemas.TopicRequests, in) {
		if o.Topic == schemas.TopicHolds {
			if err := u.d.holds.ApplyFrom(o.Envelope, p); err != nil {
				t.Fatal(err)
			}
		}
	}
	return in
}

func (u *unit) expiries() []schemas.Envelope {
	var out []schemas.Envelope
	for _, o := range u.pub.published() {
		if o.Envelope.Type == schemas.TypeHoldExpired && o.Topic == schemas.TopicHolds {
			out = append(out, o.Envelope)
		}
	}
	return out
}

// TestExpireRound: a hold is expired only by the member that owns its
// holds partition, only once its view has read that partition up to a mark
// taken after the hold's expiry plus the grace, and only while the view
// holds it pending. The expiry's id and time derive from the hold, so
// every copy is one event.
func TestExpireRound(t *testing.T) {
	const part = 2
	cases := []struct {
		name    string
		now     time.Duration // decider clock after t0; the stop hold expires at 5m, the put hold at 10m
		owned   []int32
		reached []int32
		approve bool  // the view has the approval that decided the stop hold
		markErr error // listing the end offsets fails
		fails   int   // publishes that fail
		want    int   // hold.expired written in the round
		marks   int
		keep    bool // the round keeps its mark for the next
	}{
		{name: "owner whose view reached the mark", now: 7 * time.Minute, owned: []int32{part}, reached: []int32{part}, want: 1, marks: 1},
		{name: "not the owner", now: 7 * time.Minute, owned: []int32{0, 1}, reached: []int32{part}},
		{name: "lagging replica that does not own the partition", now: 7 * time.Minute, owned: []int32{0}},
		{name: "owner whose view is behind the mark", now: 7 * time.Minute, owned: []int32{part}, marks: 1, keep: true},
		{name: "within the grace", now: 5*time.Minute + time.Second, owned: []int32{part}, reached: []int32{part}},
		{name: "past the grace", now: 5*time.Minute + 2*time.Second, owned: []int32{part}, reached: []int32{part}, want: 1, marks: 1},
		{name: "approved in the view", now: 7 * time.Minute, owned: []int32{part}, reached: []int32{part}, approve: true},
		{name: "end offsets unknown", now: 7 * time.Minute, owned: []int32{part}, reached: []int32{part}, markErr: errors.New("broker down"), marks: 1},
		{name: "publish fails", now: 7 * time.Minute, owned: []int32{part}, reached: []int32{part}, fails: 1, marks: 1},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			u := newUnit(t, testPolicy)
			stop := heldIn(t, u, stopInst, part)
			heldIn(t, u, putItem, part)
			if tc.approve {
				u.event(t, stop.RequestID, t0.Add(4*time.Minute), approval(alice))
			}
			u.clk.Set(t0.Add(tc.now))
			u.pub.failures = tc.fails
			g := &fakeGate{owned: set(tc.owned), reached: set(tc.reached), markErr: tc.markErr}
			kept := u.d.expireRound(context.Background(), g.gate(), nil)
			got := u.expiries()
			if len(got) != tc.want || g.marks != tc.marks || (kept != nil) != tc.keep {
				t.Fatalf("wrote %d expiries with %d marks, kept %v; want %d with %d, kept %v", len(got), g.marks, kept != nil, tc.want, tc.marks, tc.keep)
			}
			for _, env := range got {
				if env.RequestID != stop.RequestID || env.ID != answerID("expired", stop.RequestID) || !env.Time.Equal(t0.Add(5*time.Minute)) {
					t.Fatalf("expiry %s of %s at %s; want %s of %s at the hold's expiry", env.ID, env.RequestID, env.Time, answerID("expired", stop.RequestID), stop.RequestID)
				}
				if err := schemas.Verify(env, holdsKey); err != nil {
					t.Fatal(err)
				}
			}
		})
	}
}

// TestExpireRoundKeepsMarkUntilReached: a view behind the mark is not
// asked again against a newer mark (which a busy partition would keep out
// of reach) but against the same one, and expires once it reaches it;
// the view then applies the expiry and nothing more is written.
func TestExpireRoundKeepsMarkUntilReached(t *testing.T) {
	const part = 1
	u := newUnit(t, testPolicy)
	stop := heldIn(t, u, stopInst, part)
	u.clk.Set(t0.Add(7 * time.Minute))
	g := &fakeGate{owned: set([]int32{part}), reached: map[int32]bool{}}
	kept := u.d.expireRound(context.Background(), g.gate(), nil)
	if kept == nil || len(u.expiries()) != 0 {
		t.Fatalf("kept %v, %d expiries; want the mark kept and none", kept != nil, len(u.expiries()))
	}
	g.reached[part] = true
	if kept = u.d.expireRound(context.Background(), g.gate(), kept); kept != nil || g.marks != 1 {
		t.Fatalf("kept %v after %d marks; want the first mark used and dropped", kept != nil, g.marks)
	}
	exp := u.expiries()
	if len(exp) != 1 || exp[0].RequestID != stop.RequestID {
		t.Fatalf("%d expiries", len(exp))
	}
	u.apply(t, exp[0])
	if h, _ := u.d.holds.Hold(stop.RequestID); h.State != holds.StateExpired {
		t.Fatalf("hold %s", h.State)
	}
	if kept = u.d.expireRound(context.Background(), g.gate(), nil); kept != nil || len(u.expiries()) != 1 || g.marks != 1 {
		t.Fatalf("after the expiry applied: kept %v, %d expiries, %d marks", kept != nil, len(u.expiries()), g.marks)
	}
}

func set(ps []int32) map[int32]bool {
	m := map[int32]bool{}
	for _, p := range ps {
		m[p] = true
	}
	return m
}
