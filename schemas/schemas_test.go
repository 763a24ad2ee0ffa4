package schemas

import (
	"encoding/json"
	"errors"
	"testing"
	"time"
)

func TestRoundTripEveryType(t *testing.T) {
	at := time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)
	for _, typ := range Types() {
		t.Run(string(typ), func(t *testing.T) {
			p := registry[typ]()
			env, err := NewEnvelope("ev-1", "req-1", "test", at, p)
			if err != nil {
				t.Fatal(err)
			}
			raw, err := env.Marshal()
			if err != nil {
				t.Fatal(err)
			}
			back, err := Unmarshal(raw)
			if err != nil {
				t.Fatalf("Unmarshal: %v", err)
			}
			got, err := back.Decode()
			if err != nil {
				t.Fatalf("Decode: %v", err)
			}
			if got.EventType() != typ {
				t.Fatalf("decoded %s, want %s", got.EventType(), typ)
			}
		})
	}
}

func TestStrictDecoding(t *testing.T) {
	good := func() map[string]any {
		return map[string]any{"id": "e", "type": "hold.expired", "version": 1, "request_id": "r",
			"time": "2026-11-26T12:00:00Z", "producer": "p", "payload": map[string]any{}}
	}
	tests := []struct {
		name   string
		mutate func(map[string]any)
		check  func(error) bool
	}{
		{"unknown type", func(m map[string]any) { m["type"] = "request.teleported" },
			func(err error) bool { var e *UnknownTypeError; return errors.As(err, &e) }},
		{"newer version", func(m map[string]any) { m["version"] = 2 },
			func(err error) bool { var e *UnsupportedVersionError; return errors.As(err, &e) }},
		{"missing version", func(m map[string]any) { delete(m, "version") },
			func(err error) bool { var e *UnsupportedVersionError; return errors.As(err, &e) }},
		{"unknown envelope field", func(m map[string]any) { m["extra"] = 1 },
			func(err error) bool { return errors.Is(err, ErrMalformed) }},
		{"unknown payload field", func(m map[string]any) { m["payload"] = map[string]any{"surprise": true} },
			func(err error) bool { return errors.Is(err, ErrMalformed) }},
		{"missing id", func(m map[string]any) { m["id"] = "" },
			func(err error) bool { return errors.Is(err, ErrMalformed) }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m := good()
			tc.mutate(m)
			raw, _ := json.Marshal(m)
			env, err := Unmarshal(raw)
			if err == nil {
				_, err = env.Decode()
			}
			if err == nil || !tc.check(err) {
				t.Fatalf("got error %v", err)
			}
		})
	}
}

func TestDecodeAsWrongType(t *testing.T) {
	env, err := NewEnvelope("e", "r", "p", time.Now(), &HoldExpired{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := DecodeAs[*DecisionMade](env); !errors.Is(err, ErrWrongType) {
		t.Fatalf("got %v, want ErrWrongType", err)
	}
	if _, err := DecodeAs[*HoldExpired](env); err != nil {
		t.Fatal(err)
	}
}
