package holds

import (
	"slices"
	"testing"
	"time"

	"github.com/jitgate/jitgate/schemas"
)

func TestVisibility(t *testing.T) {
	secopsOnly := terms(1, nil)
	secopsOnly.Approvers = []string{"secops"}
	s := NewStore(testKey)
	applyAll(t, s, envelopes(t, []ev{
		{req: "r1", p: opened(request(requester, `{"Bucket":"b"}`), terms(1, nil))},
		{req: "r2", p: opened(request(mallory, `{"Bucket":"m"}`), secopsOnly)},
		{req: "r1", p: &schemas.GrantOpened{GrantID: "g1", RequestID: "r1", Principal: requester, Scope: "call",
			Service: "s3", Operation: "GetObject", Params: []byte(`{}`), Expires: t0.Add(time.Hour), ApprovedBy: []string{Identity(alice)}}},
		// A grant whose hold this store never saw (compacted away).
		{req: "r-old", p: &schemas.GrantOpened{GrantID: "g-old", RequestID: "r-old", Principal: requester, Scope: "call",
			Service: "s3", Operation: "GetObject", Params: []byte(`{}`), Expires: t0.Add(time.Hour), ApprovedBy: []string{Identity(carol)}}},
	}))
	now := t0.Add(time.Minute)
	nobody := schemas.Principal{Subject: "bot", Issuer: "https://other.example"}
	tests := []struct {
		name   string
		who    schemas.Principal
		holds  []string // visible holds, pending order
		grants []string
	}{
		{"requester", requester, []string{"r1"}, []string{"g1", "g-old"}},
		{"approver group member", alice, []string{"r1"}, []string{"g1"}},
		{"member of the other approver group", carol, []string{"r1", "r2"}, []string{"g1", "g-old"}},
		{"requester of the other hold, no approver group", mallory, []string{"r2"}, nil},
		{"same subject at another issuer, no groups", nobody, nil, nil},
		{"stranger", schemas.Principal{Subject: "eve", Issuer: iss, Groups: []string{"interns"}}, nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var holds []string
			for _, h := range s.PendingFor(tt.who, now) {
				holds = append(holds, h.RequestID)
			}
			if !slices.Equal(holds, tt.holds) {
				t.Errorf("pending %v, want %v", holds, tt.holds)
			}
			for _, id := range []string{"r1", "r2"} {
				_, ok := s.HoldFor(id, tt.who)
				if want := slices.Contains(tt.holds, id); ok != want {
					t.Errorf("HoldFor(%s) = %v, want %v", id, ok, want)
				}
			}
			if _, ok := s.HoldFor("r-missing", tt.who); ok {
				t.Error("HoldFor an unknown hold")
			}
			var grants []string
			for _, g := range s.GrantsFor(tt.who, now) {
				grants = append(grants, g.GrantID)
			}
			slices.Sort(grants)
			want := slices.Sorted(slices.Values(tt.grants))
			if !slices.Equal(grants, want) {
				t.Errorf("grants %v, want %v", grants, want)
			}
		})
	}
}
