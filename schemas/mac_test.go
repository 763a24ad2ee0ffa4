package schemas

import (
	"encoding/json"
	"errors"
	"testing"
	"time"
)

var (
	testKey  = []byte("0123456789abcdef0123456789abcdef")
	otherKey = []byte("fedcba9876543210fedcba9876543210")
)

// sealedApproval is an approval.given sealed as an ingress writes it.
func sealedApproval(t *testing.T) Envelope {
	t.Helper()
	env, err := NewEnvelope("e-1", "r-1", ProducerName(RoleIngress, "i-1"), time.Date(2030, 1, 2, 3, 4, 5, 6, time.UTC),
		&ApprovalGiven{By: Principal{Subject: "alice", Issuer: "https://idp", Groups: []string{"sre"}}, Reason: "ok <&>"})
	if err != nil {
		t.Fatal(err)
	}
	if err := Seal(&env, testKey); err != nil {
		t.Fatal(err)
	}
	return env
}

// roundTrip passes env through its wire form, as a reader sees it.
func roundTrip(t *testing.T, env Envelope) Envelope {
	t.Helper()
	raw, err := env.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	back, err := Unmarshal(raw)
	if err != nil {
		t.Fatal(err)
	}
	return back
}

func TestSealVerifiesAfterRoundTrip(t *testing.T) {
	env := roundTrip(t, sealedApproval(t))
	if err := Verify(env, testKey); err != nil {
		t.Fatalf("sealed event does not verify after a trip through Kafka: %v", err)
	}
	// Time in another zone is the same instant: still authentic.
	env.Time = env.Time.In(time.FixedZone("x", 3600))
	if err := Verify(roundTrip(t, env), testKey); err != nil {
		t.Fatalf("same instant in another zone refused: %v", err)
	}
}

// TestVerifyRefusesEveryAlteredField flips each envelope field of a sealed
// event in turn: each must be refused, so the code covers the whole
// envelope and the exact payload bytes.
func TestVerifyRefusesEveryAlteredField(t *testing.T) {
	tests := []struct {
		name   string
		mutate func(*Envelope)
		want   error
	}{
		{"id", func(e *Envelope) { e.ID = "e-2" }, ErrBadAuth},
		{"type", func(e *Envelope) { e.Type = TypeHoldDenied }, ErrBadAuth},
		{"version", func(e *Envelope) { e.Version = 2 }, ErrBadAuth},
		{"request id (rewrapped)", func(e *Envelope) { e.RequestID = "r-2" }, ErrBadAuth},
		{"time", func(e *Envelope) { e.Time = e.Time.Add(time.Nanosecond) }, ErrBadAuth},
		{"producer", func(e *Envelope) { e.Producer = "ingress/i-2" }, ErrBadAuth},
		{"payload value", func(e *Envelope) {
			e.Payload = json.RawMessage(`{"by":{"sub":"mallory","iss":"https://idp","groups":["sre"]},"reason":"ok \u003c\u0026\u003e"}`)
		}, ErrBadAuth},
		{"payload bytes only (whitespace)", func(e *Envelope) { e.Payload = append(json.RawMessage(" "), e.Payload...) }, ErrBadAuth},
		{"auth missing", func(e *Envelope) { e.Auth = "" }, ErrBadAuth},
		{"auth not hex", func(e *Envelope) { e.Auth = "zz" + e.Auth[2:] }, ErrBadAuth},
		{"auth truncated", func(e *Envelope) { e.Auth = e.Auth[:32] }, ErrBadAuth},
		{"auth too long", func(e *Envelope) { e.Auth += "00" }, ErrBadAuth},
		{"auth twice", func(e *Envelope) { e.Auth += e.Auth }, ErrBadAuth},
		{"auth one bit", func(e *Envelope) {
			b := []byte(e.Auth)
			b[0] ^= 1
			e.Auth = string(b)
		}, ErrBadAuth},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			env := sealedApproval(t)
			tc.mutate(&env)
			if err := Verify(env, testKey); !errors.Is(err, tc.want) {
				t.Fatalf("altered %s: got %v, want %v", tc.name, err, tc.want)
			}
		})
	}
}

func TestVerifyRefusesOtherKeyAndShortKey(t *testing.T) {
	env := sealedApproval(t)
	if err := Verify(env, otherKey); !errors.Is(err, ErrBadAuth) {
		t.Fatalf("another key: got %v", err)
	}
	if err := Verify(env, testKey[:8]); !errors.Is(err, ErrShortKey) {
		t.Fatalf("short key: got %v", err)
	}
	if err := Seal(&env, nil); !errors.Is(err, ErrShortKey) {
		t.Fatalf("seal with no key: got %v", err)
	}
}

// TestVerifyChecksProducerRole: a holder of the key who writes a type its
// role may not write (an ingress writing hold.approved) is refused.
func TestVerifyChecksProducerRole(t *testing.T) {
	tests := []struct {
		name     string
		p        Payload
		producer string
		want     error
	}{
		{"decider writes hold.approved", &HoldApproved{Approvers: []string{"a"}}, "decider/d-1", nil},
		{"ingress writes hold.approved", &HoldApproved{Approvers: []string{"a"}}, "ingress/i-1", ErrWrongProducer},
		{"ingress writes grant.opened", &GrantOpened{GrantID: "g", Scope: "expr", Match: "true"}, "ingress/i-1", ErrWrongProducer},
		{"bare instance writes decision.made", &DecisionMade{Outcome: Allow}, "d-1", ErrWrongProducer},
		{"prefix without slash", &DecisionMade{Outcome: Allow}, "deciderx/d-1", ErrWrongProducer},
		{"decider writes approval.given", &ApprovalGiven{}, "decider/d-1", ErrWrongProducer},
		{"ingress writes grant.revoked", &GrantRevoked{GrantID: "g"}, "ingress/i-1", nil},
		{"non-authority type, any producer", &ExecutionStarted{}, "executor/x", nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			env, err := NewEnvelope("e", "r", tc.producer, time.Now(), tc.p)
			if err != nil {
				t.Fatal(err)
			}
			if err := Seal(&env, testKey); err != nil {
				t.Fatal(err)
			}
			if err := Verify(roundTrip(t, env), testKey); !errors.Is(err, tc.want) || (tc.want == nil && err != nil) {
				t.Fatalf("got %v, want %v", err, tc.want)
			}
		})
	}
}

// TestSealCanonicalisesPayload: a payload built by hand with characters
// the JSON encoder escapes still verifies after the wire trip.
func TestSealCanonicalisesPayload(t *testing.T) {
	env := Envelope{ID: "e", Type: TypeHoldExpired, Version: Version, RequestID: "r", Time: time.Now(),
		Producer: "decider/d", Payload: json.RawMessage(` { } `)}
	if err := Seal(&env, testKey); err != nil {
		t.Fatal(err)
	}
	if err := Verify(roundTrip(t, env), testKey); err != nil {
		t.Fatal(err)
	}
}

func TestEveryAuthorityTypeHasAWriter(t *testing.T) {
	for _, typ := range []Type{TypeDecisionMade, TypeHoldOpened, TypeHoldJustified, TypeApprovalGiven, TypeHoldDenied,
		TypeHoldApproved, TypeHoldExpired, TypeGrantOpened, TypeGrantRevoked, TypeRequestReceived} {
		if _, ok := Writer(typ); !ok {
			t.Errorf("%s confers authority but has no writer", typ)
		}
	}
	// Chunks are bound to their sealed request by digest instead; the
	// rest carry no authority.
	for _, typ := range []Type{TypeRequestBodyChunk, TypeExecutionStarted, TypeExecutionFinished, TypeResponseReady} {
		if _, ok := Writer(typ); ok {
			t.Errorf("%s is not sealed, yet has a writer", typ)
		}
	}
}
