package holds

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/jitgate/jitgate/schemas"
)

// grantsFor opens n active grants spread over `people` principals, mixing
// the three scopes, and returns the store.
func grantsFor(b testing.TB, n, people int) *Store {
	s := NewStore(testKey)
	scopes := []schemas.GrantTerms{
		{For: time.Hour, Scope: "call"},
		{For: time.Hour, Scope: "operation"},
		{For: time.Hour, Scope: "expr", Match: `resources.bucket == "never"`},
	}
	for i := range n {
		p := schemas.Principal{Subject: fmt.Sprintf("bot-%d", i%people), Issuer: iss}
		req := request(p, fmt.Sprintf(`{"Bucket":"b%d","Key":"k"}`, i))
		g := scopes[i%len(scopes)]
		g.For += time.Duration(i) * time.Second
		openGrant(b, s, fmt.Sprintf("g%d", i), req, &g)
	}
	return s
}

func BenchmarkMatchGrant(b *testing.B) {
	cases := []struct {
		name   string
		people int
		bucket string
		hit    bool
	}{
		{"1000 grants of one principal, no match", 1, "none", false},
		{"1000 grants of one principal, last match", 1, "b999", true},
		{"1000 grants of 100 principals, no match", 100, "none", false},
	}
	for _, bc := range cases {
		b.Run(bc.name, func(b *testing.B) {
			s := grantsFor(b, 1000, bc.people)
			req := request(schemas.Principal{Subject: "bot-99", Issuer: iss}, `{"Bucket":"`+bc.bucket+`","Key":"k"}`)
			if bc.people == 1 {
				req.Principal.Subject = "bot-0"
			}
			now := t0.Add(time.Minute)
			b.ReportAllocs()
			for b.Loop() {
				_, ok, _ := s.MatchGrant(&req, now)
				if ok != bc.hit {
					b.Fatalf("match = %v, want %v", ok, bc.hit)
				}
			}
		})
	}
}

// TestConcurrentUse runs Apply, the checks and MatchGrant at once; run
// with -race.
func TestConcurrentUse(t *testing.T) {
	s := grantsFor(t, 30, 3)
	var wg sync.WaitGroup
	wg.Go(func() {
		for i := range 50 {
			req := fmt.Sprintf("r%d", i)
			applyAll(t, s, envelopes(t, []ev{
				{id: "o" + req, req: req, p: opened(request(requester, `{}`), terms(1, nil))},
				{id: "a" + req, req: req, at: time.Minute, p: approve(alice, 0)},
			}))
		}
	})
	for range 3 {
		wg.Go(func() {
			req := request(schemas.Principal{Subject: "bot-1", Issuer: iss}, `{"Bucket":"b1","Key":"k"}`)
			for i := range 50 {
				s.MatchGrant(&req, t0)
				s.CheckApprove(fmt.Sprintf("r%d", i), bob, 0, t0)
				s.Pending(t0)
				s.Crossing(fmt.Sprintf("r%d", i), fmt.Sprintf("ar%d", i))
			}
		})
	}
	wg.Wait()
	if n := len(s.Pending(t0)); n != 0 {
		t.Errorf("%d holds still pending", n)
	}
}
