package holds

import (
	"fmt"
	"testing"
	"time"

	"github.com/jitgate/jitgate/schemas"
)

// fuzzLog turns bytes into a log of valid envelopes over three holds and
// three grants, with replays of earlier events mixed in. Each event takes
// three bytes: hold and replay, event type and terms, principal and time.
func fuzzLog(tb testing.TB, data []byte) []schemas.Envelope {
	people := []schemas.Principal{requester, alice, bob, carol, mallory, aliceElsewhere, botElsewhere}
	var log []schemas.Envelope
	for i := 0; i+2 < len(data); i += 3 {
		b0, b1, b2 := data[i], data[i+1], data[i+2]
		if b0>>5 == 7 && len(log) > 0 { // replay an earlier event
			log = append(log, log[int(b1)%len(log)])
			continue
		}
		req := fmt.Sprintf("r%d", b0%3)
		grant := fmt.Sprintf("g%d", (b0>>2)%3)
		by := people[int(b2)%len(people)]
		at := time.Duration(b2>>3) * 5 * time.Minute
		var p schemas.Payload
		switch b1 % 8 {
		case 0:
			t := terms(1+int(b1>>3)%3, nil)
			t.RequireJustification = b1&0x40 != 0
			if b1&0x80 != 0 {
				t.Grant = &schemas.GrantTerms{For: 30 * time.Minute, Scope: "call"}
			}
			p = opened(request(requester, `{"Bucket":"b"}`), t)
		case 1:
			p = &schemas.HoldJustified{By: by, Text: "why"}
		case 2:
			p = approve(by, time.Duration(b1>>3)*10*time.Minute)
		case 3:
			p = &schemas.HoldApproved{Approvers: []string{by.Subject}, GrantID: grant}
		case 4:
			p = &schemas.HoldDenied{By: by, Reason: "no"}
		case 5:
			p = &schemas.HoldExpired{}
		case 6:
			p = &schemas.GrantOpened{GrantID: grant, RequestID: req, Principal: by, Scope: []string{"call", "operation", "expr", "bogus"}[b1>>6],
				Service: "s3", Operation: "GetObject", Params: []byte(`{"params":{},"region":""}`), Match: "resources.bucket == 'b'", Expires: t0.Add(at)}
		case 7:
			p = &schemas.GrantRevoked{GrantID: grant, By: by}
		}
		env, err := schemas.NewEnvelope(fmt.Sprintf("e%d", i), req, "fuzz", t0.Add(at), p)
		if err != nil {
			tb.Fatal(err)
		}
		log = append(log, seal(tb, env))
	}
	return log
}

func FuzzApply(f *testing.F) {
	f.Add([]byte{0, 0x08, 0, 0, 2, 8, 0, 2, 16, 0, 3, 8})
	f.Add([]byte{1, 0x40, 0, 1, 2, 8, 1, 1, 0, 1, 2, 8, 1, 2, 16, 1, 4, 24, 0xe0, 3, 0})
	f.Add([]byte{2, 0x90, 0, 2, 2, 8, 2, 2, 16, 2, 6, 0, 2, 7, 0, 2, 5, 255})
	f.Fuzz(func(t *testing.T, data []byte) {
		log := fuzzLog(t, data)
		s := NewStore(testKey)
		for _, env := range log {
			if err := s.Apply(env); err != nil {
				t.Fatalf("apply %s: %v", env.ID, err)
			}
		}
		crossed := map[string]int{}
		asked := map[string]bool{}
		for _, env := range log {
			if env.Type != schemas.TypeApprovalGiven || asked[env.ID] {
				continue // replays of one event are one event
			}
			asked[env.ID] = true
			c, approvals, err := s.Crossing(env.RequestID, env.ID)
			if !c {
				continue
			}
			crossed[env.RequestID]++
			h, _ := s.Hold(env.RequestID)
			if err != nil || h.State != StateApproved || len(approvals) != h.needed() {
				t.Errorf("crossing %s: err %v, state %s, %d approvals of %d", env.ID, err, h.State, len(approvals), h.needed())
			}
			seen := map[principalKey]bool{}
			for _, a := range approvals {
				if seen[keyOf(a.By)] || samePerson(a.By, h.Request.Principal) || !inGroups(a.By, h.Terms.Approvers) {
					t.Errorf("crossing %s counts approval %+v", env.ID, a)
				}
				seen[keyOf(a.By)] = true
			}
		}
		for req, n := range crossed {
			if n > 1 {
				t.Errorf("hold %s crossed %d times", req, n)
			}
		}

		now := t0.Add(30 * time.Minute)
		want := snapshot(s, log, now)
		again := NewStore(testKey)
		applyAll(t, again, log)
		applyAll(t, again, log)
		if got := snapshot(again, log, now); got != want {
			t.Errorf("replay differs:\n%s\nwant\n%s", got, want)
		}
		for _, env := range log {
			req := schemas.RequestReceived{Principal: requester, Service: "s3", Operation: "GetObject"}
			_, _, _ = s.MatchGrant(&req, t0.Add(time.Duration(len(env.ID))*time.Minute))
		}
	})
}
