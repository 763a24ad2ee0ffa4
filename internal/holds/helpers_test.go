package holds

import (
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/jitgate/jitgate/schemas"
)

const iss = "https://idp.example"

var (
	t0 = time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)

	requester = schemas.Principal{Subject: "bot", Issuer: iss, Groups: []string{"agents", "sre"}}
	alice     = schemas.Principal{Subject: "alice", Issuer: iss, Groups: []string{"sre"}}
	bob       = schemas.Principal{Subject: "bob", Issuer: iss, Groups: []string{"sre", "dev"}}
	carol     = schemas.Principal{Subject: "carol", Issuer: iss, Groups: []string{"secops"}}
	mallory   = schemas.Principal{Subject: "mallory", Issuer: iss, Groups: []string{"dev"}}
	// aliceElsewhere has alice's subject at another issuer: another person.
	aliceElsewhere = schemas.Principal{Subject: "alice", Issuer: "https://other.example", Groups: []string{"sre"}}
	// botElsewhere has the requester's subject at another issuer.
	botElsewhere = schemas.Principal{Subject: "bot", Issuer: "https://other.example", Groups: []string{"sre"}}
)

// request builds a held S3 request.
func request(p schemas.Principal, params string) schemas.RequestReceived {
	return schemas.RequestReceived{
		Principal: p,
		Service:   "s3",
		Operation: "GetObject",
		Region:    "eu-west-1",
		Role:      "arn:aws:iam::111122223333:role/reader",
		Params:    json.RawMessage(params),
	}
}

// terms builds hold terms: n approvals from sre or secops, an hour to
// decide, and an optional grant.
func terms(n int, grant *schemas.GrantTerms) schemas.HoldTerms {
	return schemas.HoldTerms{
		Approvers: []string{"sre", "secops"},
		Approvals: n,
		Expires:   t0.Add(time.Hour),
		Grant:     grant,
	}
}

// ev is one event of a test log.
type ev struct {
	id  string        // event id; "" = generated
	req string        // request id; "" = "r1"
	at  time.Duration // offset from t0
	p   schemas.Payload
}

func envelope(tb testing.TB, e ev, n int) schemas.Envelope {
	tb.Helper()
	if e.id == "" {
		e.id = fmt.Sprintf("e%d", n)
	}
	if e.req == "" {
		e.req = "r1"
	}
	env, err := schemas.NewEnvelope(e.id, e.req, "test", t0.Add(e.at), e.p)
	if err != nil {
		tb.Fatal(err)
	}
	return seal(tb, env)
}

// testKey is the holds key of every test store.
var testKey = []byte("holds-key-0123456789abcdef012345")

// seal makes env an event its entitled writer sealed with testKey.
func seal(tb testing.TB, env schemas.Envelope) schemas.Envelope {
	tb.Helper()
	return sealWith(tb, env, testKey)
}

func sealWith(tb testing.TB, env schemas.Envelope, key []byte) schemas.Envelope {
	tb.Helper()
	if role, ok := schemas.Writer(env.Type); ok {
		env.Producer = schemas.ProducerName(role, "test")
	}
	if err := schemas.Seal(&env, key); err != nil {
		tb.Fatal(err)
	}
	return env
}

func envelopes(tb testing.TB, evs []ev) []schemas.Envelope {
	out := make([]schemas.Envelope, len(evs))
	for i, e := range evs {
		out[i] = envelope(tb, e, i)
	}
	return out
}

func applyAll(tb testing.TB, s *Store, envs []schemas.Envelope) {
	tb.Helper()
	for _, env := range envs {
		if err := s.Apply(env); err != nil {
			tb.Fatalf("apply %s %s: %v", env.Type, env.ID, err)
		}
	}
}

func opened(req schemas.RequestReceived, t schemas.HoldTerms) *schemas.HoldOpened {
	return &schemas.HoldOpened{Request: req, Rule: "prod-reads", Reason: "prod data", Terms: t}
}

func approve(by schemas.Principal, d time.Duration) *schemas.ApprovalGiven {
	return &schemas.ApprovalGiven{By: by, Reason: "ok", For: d}
}

// snapshot renders every hold, crossing verdict and grant of s, for
// comparing stores.
func snapshot(s *Store, envs []schemas.Envelope, now time.Time) string {
	out := ""
	for _, env := range envs {
		switch env.Type {
		case schemas.TypeHoldOpened:
			h, _ := s.Hold(env.RequestID)
			grant, just, body := h.Terms.Grant, h.Justification, h.Body
			h.Terms.Grant, h.Justification, h.Body = nil, nil, nil // pointers: print what they point to
			out += fmt.Sprintf("hold %s: %+v grant %+v justification %+v body %+v\n", env.RequestID, h, grant, just, body)
		case schemas.TypeApprovalGiven:
			crossed, as, err := s.Crossing(env.RequestID, env.ID)
			out += fmt.Sprintf("crossing %s: %v %d %v\n", env.ID, crossed, len(as), err)
		case schemas.TypeGrantOpened:
			p, _ := schemas.DecodeAs[*schemas.GrantOpened](env)
			g, _ := s.Grant(p.GrantID)
			out += fmt.Sprintf("grant %s: %+v\n", p.GrantID, g)
		}
	}
	out += fmt.Sprintf("pending %d expired %d grants %d\n", len(s.Pending(now)), len(s.Expired(now)), len(s.Grants(now)))
	return out
}
