package holds

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jitgate/jitgate/schemas"
)

func TestHoldLifecycle(t *testing.T) {
	grant1h := &schemas.GrantTerms{For: time.Hour, Scope: "call"}
	held := request(requester, `{"Bucket":"logs","Key":"a"}`)
	justified := terms(1, nil)
	justified.RequireJustification = true

	type check struct {
		name string
		call func(s *Store) error
		want error // nil = allowed
	}
	cases := []struct {
		name        string
		terms       schemas.HoldTerms
		events      []ev
		now         time.Duration // when to look at the state
		wantState   State
		wantCrossed []string         // approval events that cross
		wantRefused map[string]error // approval events that do not count
		checks      []check
	}{
		{
			name:        "one approval crosses",
			terms:       terms(1, grant1h),
			events:      []ev{{id: "a1", at: time.Minute, p: approve(alice, 0)}},
			wantState:   StateApproved,
			wantCrossed: []string{"a1"},
			checks: []check{
				{"second approver refused", func(s *Store) error { return s.CheckApprove("r1", bob, 0, t0.Add(2*time.Minute)) }, ErrNotPending},
				{"deny refused", func(s *Store) error { return s.CheckDeny("r1", bob, t0.Add(2*time.Minute)) }, ErrNotPending},
			},
		},
		{
			name:  "same approver twice does not count twice",
			terms: terms(2, grant1h),
			events: []ev{
				{id: "a1", at: time.Minute, p: approve(alice, 0)},
				{id: "a2", at: 2 * time.Minute, p: approve(alice, 0)},
			},
			wantState:   StatePending,
			wantRefused: map[string]error{"a2": ErrAlreadyApproved},
			checks: []check{
				{"alice again", func(s *Store) error { return s.CheckApprove("r1", alice, 0, t0.Add(3*time.Minute)) }, ErrAlreadyApproved},
				{"bob may", func(s *Store) error { return s.CheckApprove("r1", bob, 0, t0.Add(3*time.Minute)) }, nil},
			},
		},
		{
			name:  "second distinct approver crosses, later ones do not count",
			terms: terms(2, grant1h),
			events: []ev{
				{id: "a1", at: time.Minute, p: approve(alice, 0)},
				{id: "a2", at: 2 * time.Minute, p: approve(alice, 0)},
				{id: "a3", at: 3 * time.Minute, p: approve(bob, 0)},
				{id: "a4", at: 4 * time.Minute, p: approve(carol, 0)},
			},
			wantState:   StateApproved,
			wantCrossed: []string{"a3"},
			wantRefused: map[string]error{"a2": ErrAlreadyApproved, "a4": ErrNotPending},
		},
		{
			name:  "same subject at another issuer is another person",
			terms: terms(2, grant1h),
			events: []ev{
				{id: "a1", at: time.Minute, p: approve(alice, 0)},
				{id: "a2", at: 2 * time.Minute, p: approve(aliceElsewhere, 0)},
			},
			wantState:   StateApproved,
			wantCrossed: []string{"a2"},
		},
		{
			name:        "requester's subject at another issuer may approve",
			terms:       terms(1, nil),
			events:      []ev{{id: "a1", at: time.Minute, p: approve(botElsewhere, 0)}},
			wantState:   StateApproved,
			wantCrossed: []string{"a1"},
		},
		{
			name:        "self-approval refused even for a group member",
			terms:       terms(1, nil),
			events:      []ev{{id: "a1", at: time.Minute, p: approve(requester, 0)}},
			wantState:   StatePending,
			wantRefused: map[string]error{"a1": ErrSelfApproval},
			checks: []check{
				{"self deny", func(s *Store) error { return s.CheckDeny("r1", requester, t0) }, ErrSelfApproval},
			},
		},
		{
			name:        "non-member refused",
			terms:       terms(1, nil),
			events:      []ev{{id: "a1", at: time.Minute, p: approve(mallory, 0)}},
			wantState:   StatePending,
			wantRefused: map[string]error{"a1": ErrNotApprover},
			checks: []check{
				{"non-member deny", func(s *Store) error { return s.CheckDeny("r1", mallory, t0) }, ErrNotApprover},
				{"member of the second group", func(s *Store) error { return s.CheckApprove("r1", carol, 0, t0) }, nil},
			},
		},
		{
			name:  "approve after deny",
			terms: terms(1, nil),
			events: []ev{
				{id: "d1", at: time.Minute, p: &schemas.HoldDenied{By: bob, Reason: "no"}},
				{id: "a1", at: 2 * time.Minute, p: approve(alice, 0)},
			},
			wantState:   StateDenied,
			wantRefused: map[string]error{"a1": ErrNotPending},
			checks: []check{
				{"deny again", func(s *Store) error { return s.CheckDeny("r1", alice, t0) }, ErrNotPending},
				{"justify", func(s *Store) error { return s.CheckJustify("r1", requester, t0) }, ErrNotPending},
			},
		},
		{
			name:  "deny by non-member or requester does not count",
			terms: terms(1, nil),
			events: []ev{
				{id: "d1", at: time.Minute, p: &schemas.HoldDenied{By: mallory}},
				{id: "d2", at: time.Minute, p: &schemas.HoldDenied{By: requester}},
				{id: "a1", at: 2 * time.Minute, p: approve(alice, 0)},
			},
			wantState:   StateApproved,
			wantCrossed: []string{"a1"},
		},
		{
			name:  "deny after the last approval is ignored",
			terms: terms(1, nil),
			events: []ev{
				{id: "a1", at: time.Minute, p: approve(alice, 0)},
				{id: "d1", at: 2 * time.Minute, p: &schemas.HoldDenied{By: bob}},
				{id: "x1", at: 2 * time.Hour, p: &schemas.HoldExpired{}},
			},
			now:         3 * time.Hour,
			wantState:   StateApproved,
			wantCrossed: []string{"a1"},
		},
		{
			name:        "approval after expiry by time",
			terms:       terms(1, nil),
			events:      []ev{{id: "a1", at: time.Hour, p: approve(alice, 0)}},
			now:         time.Hour,
			wantState:   StateExpired,
			wantRefused: map[string]error{"a1": ErrExpired},
			checks: []check{
				{"check at expiry", func(s *Store) error { return s.CheckApprove("r1", bob, 0, t0.Add(time.Hour)) }, ErrExpired},
				{"check just before", func(s *Store) error { return s.CheckApprove("r1", bob, 0, t0.Add(time.Hour-time.Nanosecond)) }, nil},
			},
		},
		{
			name:  "approval after hold.expired",
			terms: terms(1, nil),
			events: []ev{
				{id: "x1", at: 30 * time.Minute, p: &schemas.HoldExpired{}},
				{id: "a1", at: 31 * time.Minute, p: approve(alice, 0)},
			},
			now:         31 * time.Minute,
			wantState:   StateExpired,
			wantRefused: map[string]error{"a1": ErrExpired},
		},
		{
			name:  "grant length bounded by the rule",
			terms: terms(3, grant1h),
			events: []ev{
				{id: "a1", at: time.Minute, p: approve(alice, 2*time.Hour)},
				{id: "a2", at: time.Minute, p: approve(alice, time.Hour)},
				{id: "a3", at: time.Minute, p: approve(bob, -time.Minute)},
				{id: "a4", at: time.Minute, p: approve(bob, 10*time.Minute)},
			},
			wantState:   StatePending,
			wantRefused: map[string]error{"a1": ErrWiderThanRule, "a3": ErrWiderThanRule},
			checks: []check{
				{"wider", func(s *Store) error { return s.CheckApprove("r1", carol, time.Hour+1, t0) }, ErrWiderThanRule},
				{"equal", func(s *Store) error { return s.CheckApprove("r1", carol, time.Hour, t0) }, nil},
			},
		},
		{
			name:        "grant length on a rule without grant",
			terms:       terms(1, nil),
			events:      []ev{{id: "a1", at: time.Minute, p: approve(alice, time.Minute)}},
			wantState:   StatePending,
			wantRefused: map[string]error{"a1": ErrWiderThanRule},
		},
		{
			name:  "justification required before approval, not before denial",
			terms: justified,
			events: []ev{
				{id: "a1", at: time.Minute, p: approve(alice, 0)},
				{id: "j1", at: 2 * time.Minute, p: &schemas.HoldJustified{By: alice, Text: "alice speaks for the bot"}},
				{id: "a2", at: 3 * time.Minute, p: approve(alice, 0)},
			},
			wantState:   StatePending,
			wantRefused: map[string]error{"a1": ErrJustificationRequired, "a2": ErrJustificationRequired},
			checks: []check{
				{"approve", func(s *Store) error { return s.CheckApprove("r1", bob, 0, t0) }, ErrJustificationRequired},
				{"deny", func(s *Store) error { return s.CheckDeny("r1", bob, t0) }, nil},
				{"justify by approver", func(s *Store) error { return s.CheckJustify("r1", alice, t0) }, ErrNotRequester},
				{"justify by requester elsewhere", func(s *Store) error { return s.CheckJustify("r1", botElsewhere, t0) }, ErrNotRequester},
				{"justify by requester", func(s *Store) error { return s.CheckJustify("r1", requester, t0) }, nil},
			},
		},
		{
			name:  "justified then approved",
			terms: justified,
			events: []ev{
				{id: "j1", at: time.Minute, p: &schemas.HoldJustified{By: requester, Text: "incident 42"}},
				{id: "a1", at: 2 * time.Minute, p: approve(alice, 0)},
			},
			wantState:   StateApproved,
			wantCrossed: []string{"a1"},
		},
		{
			name:  "justification after expiry does not count",
			terms: justified,
			events: []ev{
				{id: "j1", at: time.Hour, p: &schemas.HoldJustified{By: requester, Text: "late"}},
			},
			now:       time.Hour,
			wantState: StateExpired,
			checks: []check{
				{"justify late", func(s *Store) error { return s.CheckJustify("r1", requester, t0.Add(time.Hour)) }, ErrExpired},
			},
		},
		{
			name:  "hold.approved completes a hold and names the grant once",
			terms: terms(2, grant1h),
			events: []ev{
				{id: "p1", at: time.Minute, p: &schemas.HoldApproved{Approvers: []string{"x"}, GrantID: "g1"}},
				{id: "p2", at: time.Minute, p: &schemas.HoldApproved{Approvers: []string{"y"}, GrantID: "g2"}},
				{id: "a1", at: 2 * time.Minute, p: approve(alice, 0)},
			},
			wantState:   StateApproved,
			wantRefused: map[string]error{"a1": ErrNotPending},
			checks: []check{
				{"first grant id kept", func(s *Store) error {
					if h, _ := s.Hold("r1"); h.GrantID != "g1" || h.ResolvedBy != "x" {
						return fmt.Errorf("grant id %q resolved by %q", h.GrantID, h.ResolvedBy)
					}
					return nil
				}, nil},
			},
		},
		{
			name:  "unknown hold",
			terms: terms(1, nil),
			events: []ev{
				{id: "a1", req: "r2", at: time.Minute, p: approve(alice, 0)},
			},
			wantState: StatePending,
			checks: []check{
				{"approve unknown", func(s *Store) error { return s.CheckApprove("r2", alice, 0, t0) }, ErrNotFound},
				{"crossing unknown", func(s *Store) error { _, _, err := s.Crossing("r2", "a1"); return err }, ErrNotFound},
				{"crossing unknown event", func(s *Store) error { _, _, err := s.Crossing("r1", "zz"); return err }, ErrNotFound},
			},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			evs := append([]ev{{id: "open", p: opened(held, tc.terms)}}, tc.events...)
			envs := envelopes(t, evs)
			s := NewStore(testKey)
			applyAll(t, s, envs)
			for _, env := range envs {
				if !s.Seen(env.ID) {
					t.Errorf("event %s not seen", env.ID)
				}
			}

			h, ok := s.Hold("r1")
			if !ok {
				t.Fatal("hold r1 missing")
			}
			if got := h.StateAt(t0.Add(tc.now)); got != tc.wantState {
				t.Errorf("state at +%s = %s, want %s", tc.now, got, tc.wantState)
			}
			var crossed []string
			for _, e := range tc.events {
				if e.req != "" || e.p.EventType() != schemas.TypeApprovalGiven {
					continue
				}
				c, approvals, err := s.Crossing("r1", e.id)
				if c {
					crossed = append(crossed, e.id)
					if len(approvals) != h.needed() || approvals[len(approvals)-1].EventID != e.id {
						t.Errorf("crossing %s returned approvals %+v", e.id, approvals)
					}
				}
				want := tc.wantRefused[e.id]
				if (want == nil) != (err == nil) || (want != nil && !errors.Is(err, want)) {
					t.Errorf("Crossing(%s) error = %v, want %v", e.id, err, want)
				}
			}
			if !slices.Equal(crossed, tc.wantCrossed) {
				t.Errorf("crossed = %v, want %v", crossed, tc.wantCrossed)
			}
			for _, c := range tc.checks {
				err := c.call(s)
				if (c.want == nil) != (err == nil) || (c.want != nil && !errors.Is(err, c.want)) {
					t.Errorf("%s: error = %v, want %v", c.name, err, c.want)
				}
				var e *Error
				if err != nil && (!errors.As(err, &e) || e.Msg == "") {
					t.Errorf("%s: error %v is not a *Error with a message", c.name, err)
				}
			}
		})
	}
}

func TestErrorMessages(t *testing.T) {
	s := NewStore(testKey)
	applyAll(t, s, envelopes(t, []ev{
		{id: "open", p: opened(request(requester, `{}`), terms(2, &schemas.GrantTerms{For: time.Hour}))},
		{id: "a1", p: approve(alice, 0)},
	}))
	cases := []struct {
		name string
		err  error
		want []string
	}{
		{"already approved", s.CheckApprove("r1", alice, 0, t0),
			[]string{"request r1 needs 2 approvals from groups sre, secops; you (alice) already approved it"}},
		{"not approver", s.CheckApprove("r1", mallory, 0, t0),
			[]string{"you (mallory) are not in groups sre, secops", `rule "prod-reads"`}},
		{"self", s.CheckDeny("r1", requester, t0), []string{"you (bot) made request r1 and cannot deny it"}},
		{"wider", s.CheckApprove("r1", bob, 2*time.Hour, t0), []string{"at most 1h0m0s", "for 1h0m0s or less"}},
		{"expired", s.CheckApprove("r1", bob, 0, t0.Add(time.Hour)), []string{"expired at 2030-01-02T04:04:05Z with 1 of 2 approvals", "retry"}},
		{"not found", s.CheckDeny("nope", bob, t0), []string{"no hold for request nope"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if tc.err == nil {
				t.Fatal("no error")
			}
			for _, w := range tc.want {
				if !strings.Contains(tc.err.Error(), w) {
					t.Errorf("%q does not contain %q", tc.err, w)
				}
			}
		})
	}
}

func TestPendingAndExpired(t *testing.T) {
	short := terms(1, nil)
	short.Expires = t0.Add(10 * time.Minute)
	s := NewStore(testKey)
	applyAll(t, s, envelopes(t, []ev{
		{id: "o2", req: "r2", at: 2 * time.Minute, p: opened(request(requester, `{}`), terms(1, nil))},
		{id: "o1", req: "r1", at: time.Minute, p: opened(request(requester, `{}`), short)},
		{id: "o3", req: "r3", at: 3 * time.Minute, p: opened(request(requester, `{}`), terms(1, nil))},
		{id: "o4", req: "r4", at: 4 * time.Minute, p: opened(request(requester, `{}`), short)},
		{id: "a3", req: "r3", at: 5 * time.Minute, p: approve(alice, 0)},
		{id: "x4", req: "r4", at: 11 * time.Minute, p: &schemas.HoldExpired{}},
	}))
	ids := func(hs []Hold) []string {
		var out []string
		for _, h := range hs {
			out = append(out, h.RequestID)
		}
		return out
	}
	cases := []struct {
		name        string
		now         time.Duration
		wantPending []string
		wantExpired []string
	}{
		{"before expiry", 5 * time.Minute, []string{"r1", "r2"}, nil},
		{"at expiry of r1", 10 * time.Minute, []string{"r2"}, []string{"r1"}},
		{"all expired", 2 * time.Hour, nil, []string{"r1", "r2"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			now := t0.Add(tc.now)
			if got := ids(s.Pending(now)); !slices.Equal(got, tc.wantPending) {
				t.Errorf("Pending = %v, want %v", got, tc.wantPending)
			}
			if got := ids(s.Expired(now)); !slices.Equal(got, tc.wantExpired) {
				t.Errorf("Expired = %v, want %v", got, tc.wantExpired)
			}
		})
	}
}

// TestReplay replays a log the way roles do after a restart: a fresh store,
// a store that sees every event twice in a row, and one that reads the
// whole log twice must all end in the same state.
func TestReplay(t *testing.T) {
	held := request(requester, `{"Bucket":"logs","Key":"a"}`)
	grant := &schemas.GrantTerms{For: time.Hour, Scope: "operation"}
	log := []ev{
		{id: "o1", req: "r1", p: opened(held, terms(2, grant))},
		{id: "o2", req: "r2", p: &schemas.HoldOpened{Request: held, Terms: terms(1, nil), Body: &schemas.RecordRef{Topic: "requests", Offset: 7}}},
		{id: "o3", req: "r3", p: opened(held, terms(1, nil))},
		{id: "a1", req: "r1", at: time.Minute, p: approve(alice, 30*time.Minute)},
		{id: "a2", req: "r1", at: 2 * time.Minute, p: approve(alice, 0)},
		{id: "d2", req: "r2", at: 2 * time.Minute, p: &schemas.HoldDenied{By: bob, Reason: "no"}},
		{id: "a3", req: "r1", at: 3 * time.Minute, p: approve(bob, 0)},
		{id: "a4", req: "r2", at: 3 * time.Minute, p: approve(alice, 0)},
		{id: "p1", req: "r1", at: 3 * time.Minute, p: &schemas.HoldApproved{Approvers: []string{"alice", "bob"}, GrantID: "g1"}},
		{id: "g1", req: "r1", at: 3 * time.Minute, p: &schemas.GrantOpened{GrantID: "g1", RequestID: "r1", Principal: requester,
			Scope: "operation", Service: "s3", Operation: "GetObject", Params: []byte(`{"region":"eu-west-1"}`), Expires: t0.Add(33 * time.Minute)}},
		{id: "v1", req: "r1", at: 4 * time.Minute, p: &schemas.GrantRevoked{GrantID: "g1", By: bob}},
		{id: "x3", req: "r3", at: 2 * time.Hour, p: &schemas.HoldExpired{}},
	}
	envs := envelopes(t, log)
	now := t0.Add(5 * time.Minute)

	once := NewStore(testKey)
	applyAll(t, once, envs)
	want := snapshot(once, envs, now)

	twiceInARow := NewStore(testKey)
	for _, env := range envs {
		applyAll(t, twiceInARow, []schemas.Envelope{env, env})
	}
	wholeTwice := NewStore(testKey)
	applyAll(t, wholeTwice, envs)
	applyAll(t, wholeTwice, envs)

	for name, s := range map[string]*Store{"each event twice": twiceInARow, "whole log twice": wholeTwice} {
		if got := snapshot(s, envs, now); got != want {
			t.Errorf("%s:\n%s\nwant\n%s", name, got, want)
		}
	}
	// The state itself is what the log says.
	if h, _ := once.Hold("r1"); h.State != StateApproved || h.GrantID != "g1" || len(h.Approvals) != 2 {
		t.Errorf("r1 = %+v", h)
	}
	if h, _ := once.Hold("r2"); h.Body == nil || h.Body.Offset != 7 {
		t.Errorf("r2 body = %+v", h.Body)
	}
	if h, _ := once.Hold("r3"); h.State != StateExpired {
		t.Errorf("r3 state = %s", h.State)
	}
	if g, _ := once.Grant("g1"); !g.Revoked || g.RevokedBy != Identity(bob) {
		t.Errorf("g1 = %+v", g)
	}
}

func TestApplyMalformed(t *testing.T) {
	s := NewStore(testKey)
	env := seal(t, schemas.Envelope{ID: "bad", Type: schemas.TypeApprovalGiven, Version: schemas.Version, RequestID: "r1", Payload: []byte(`{"nope":1}`)})
	if err := s.Apply(env); !errors.Is(err, schemas.ErrMalformed) {
		t.Errorf("Apply malformed = %v, want ErrMalformed", err)
	}
	if !s.Seen("bad") {
		t.Error("malformed event not marked seen")
	}
	other := schemas.Envelope{ID: "req", Type: schemas.TypeRequestReceived, Version: schemas.Version, Payload: []byte(`garbage`)}
	if err := s.Apply(other); err != nil || s.Seen("req") {
		t.Errorf("non-hold event: err %v, seen %v", err, s.Seen("req"))
	}
}
