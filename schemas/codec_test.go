package schemas

import (
	"bytes"
	stdjson "encoding/json"
	"errors"
	"fmt"
	"os"
	"reflect"
	"strings"
	"testing"
	"time"
)

// The codec must write exactly what encoding/json wrote before it (so
// that older readers, the recorder's rows and every MAC stay valid) and
// read everything encoding/json read, into the same values. The tests
// below compare it with the code it replaced (oldMarshal, oldUnmarshal,
// oldDecode: copies of the encoding/json versions) on every event type,
// with every field of every payload set (fill walks the structs by
// reflection, so a field added later is covered without touching these
// tests).

// oldMarshal is Envelope.Marshal as it was, on encoding/json.
func oldMarshal(e Envelope) ([]byte, error) {
	if e.chunk != nil && len(e.Payload) == 0 {
		raw, err := stdjson.Marshal(e.chunk)
		if err != nil {
			return nil, err
		}
		e.Payload = raw
	}
	return stdjson.Marshal(e)
}

// oldUnmarshal is Unmarshal as it was, on encoding/json.
func oldUnmarshal(data []byte) (Envelope, error) {
	var e Envelope
	dec := stdjson.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&e); err != nil {
		return Envelope{}, err
	}
	return e, e.check()
}

// oldDecode is Envelope.Decode as it was, on encoding/json.
func oldDecode(e Envelope) (Payload, error) {
	p := registry[e.Type]()
	dec := stdjson.NewDecoder(bytes.NewReader(e.Payload))
	dec.DisallowUnknownFields()
	return p, dec.Decode(p)
}

// fillText is a string with every kind of character encoding/json
// escapes or treats specially: quotes, backslash, control characters,
// HTML characters, U+2028/U+2029 and non-ASCII.
const fillText = "q\"b\\n\n\t\x01<a href='x'>&amp;</a>\u2028\u2029 é ü 日本 🙂"

// fill sets every field reachable from v (a settable value) to a
// non-zero value; n varies them.
func fill(t *testing.T, v reflect.Value, n int) {
	t.Helper()
	switch v.Type() {
	case reflect.TypeFor[time.Time]():
		v.Set(reflect.ValueOf(time.Date(2026, 12, 1, 12, 0, n, 123456789, time.UTC)))
		return
	case reflect.TypeFor[time.Duration]():
		v.SetInt(int64(90*time.Second) + int64(n))
		return
	case reflect.TypeFor[stdjson.RawMessage]():
		// Whitespace and HTML characters: encoding/json compacts and
		// escapes a RawMessage field as it encodes it.
		v.SetBytes([]byte(fmt.Sprintf(`{ "k": [1, 2.5e3, true, null], "<h>": "a&b %d" }`, n)))
		return
	case reflect.TypeFor[[]byte]():
		v.SetBytes([]byte(fmt.Sprintf("\x00\xffbody %d", n)))
		return
	}
	switch v.Kind() {
	case reflect.String:
		v.SetString(fmt.Sprintf("%s %d", fillText, n))
	case reflect.Bool:
		v.SetBool(true)
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		v.SetInt(int64(-7 - n))
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		v.SetUint(uint64(7 + n))
	case reflect.Float32, reflect.Float64:
		v.SetFloat(1.5 + float64(n))
	case reflect.Pointer:
		v.Set(reflect.New(v.Type().Elem()))
		fill(t, v.Elem(), n+1)
	case reflect.Slice:
		s := reflect.MakeSlice(v.Type(), 2, 2)
		for i := range 2 {
			fill(t, s.Index(i), n+i+1)
		}
		v.Set(s)
	case reflect.Map:
		m := reflect.MakeMap(v.Type())
		k, e := reflect.New(v.Type().Key()).Elem(), reflect.New(v.Type().Elem()).Elem()
		fill(t, k, n+1)
		fill(t, e, n+2)
		m.SetMapIndex(k, e)
		v.Set(m)
	case reflect.Struct:
		for i := range v.NumField() {
			if v.Type().Field(i).IsExported() {
				fill(t, v.Field(i), n+i+1)
			}
		}
	default:
		t.Fatalf("fill: add a case for %s (%s)", v.Type(), v.Kind())
	}
}

// filled returns a payload of type typ with every field set.
func filled(t *testing.T, typ Type) Payload {
	t.Helper()
	p := registry[typ]()
	fill(t, reflect.ValueOf(p).Elem(), 0)
	if z := zeroField(reflect.ValueOf(p).Elem(), string(typ)); z != "" {
		t.Fatalf("fill left %s zero", z)
	}
	return p
}

// zeroField names the first exported field under v that is zero, or "".
func zeroField(v reflect.Value, path string) string {
	if v.Kind() != reflect.Struct || v.Type() == reflect.TypeFor[time.Time]() {
		if v.IsZero() {
			return path
		}
		return ""
	}
	for i := range v.NumField() {
		f := v.Type().Field(i)
		if !f.IsExported() {
			continue
		}
		fv := v.Field(i)
		for fv.Kind() == reflect.Pointer && !fv.IsNil() {
			fv = fv.Elem()
		}
		if z := zeroField(fv, path+"."+f.Name); z != "" {
			return z
		}
	}
	return ""
}

// envelopes are the envelopes the codec is compared on: every type, with
// every field set, as built (then sealed, when the type is sealed), with
// zero and sparse payloads, and with envelope fields needing escapes.
func envelopes(t *testing.T) map[string]Envelope {
	t.Helper()
	at := time.Date(2026, 12, 1, 12, 0, 0, 987654321, time.UTC)
	out := map[string]Envelope{}
	for _, typ := range Types() {
		for _, variant := range []string{"filled", "zero"} {
			p := registry[typ]()
			if variant == "filled" {
				p = filled(t, typ)
			}
			producer := ProducerName(RoleExecutor, "x-1")
			if role, ok := Writer(typ); ok {
				producer = ProducerName(role, "x-1")
			}
			env, err := NewEnvelope("ev-1", "req-1", producer, at, p)
			if err != nil {
				t.Fatal(err)
			}
			out[string(typ)+"/"+variant] = env
			if _, sealed := Writer(typ); sealed {
				if err := Seal(&env, testKey); err != nil {
					t.Fatal(err)
				}
				out[string(typ)+"/"+variant+"/sealed"] = env
			}
		}
	}
	odd, err := NewEnvelope("ev <&> \u2028 \"é\"", "req\n\x01", "ingress/\xff", at.In(time.FixedZone("x", 3600)), filled(t, TypeApprovalGiven))
	if err != nil {
		t.Fatal(err)
	}
	out["escaped envelope fields"] = odd
	// Each character encoding/json treats specially, alone in each
	// envelope string, so that no escape hides behind another.
	for _, c := range []string{`"`, `\\`, "<", ">", "&", "\x00", "\x1f", "\n", "\x7f", "\u2028", "\u2029", "é", "\xff", "\xe2\x80"} {
		env, err := NewEnvelope("e"+c, "r"+c, "p"+c, at, &HoldExpired{})
		if err != nil {
			t.Fatal(err)
		}
		env.Auth = "a" + c
		out[fmt.Sprintf("envelope strings with %q", c)] = env
	}
	hand := odd
	hand.Payload = stdjson.RawMessage(" {\n \"by\": {\"sub\": \"<s>\", \"iss\": \"i\"} ,\"reason\":\"\u2028\"} ")
	out["payload set by hand"] = hand
	hand.Payload = nil
	out["payload nil"] = hand
	set := out["approval.given/zero/sealed"]
	if err := set.SetPayload(filled(t, TypeApprovalGiven)); err != nil {
		t.Fatal(err)
	}
	out["payload replaced by SetPayload"] = set
	return out
}

// TestMarshalMatchesEncodingJSON: Marshal writes, byte for byte, what the
// encoding/json version wrote, so records the new code writes read under
// the old code and the recorder's stored values do not change form.
func TestMarshalMatchesEncodingJSON(t *testing.T) {
	for name, env := range envelopes(t) {
		t.Run(name, func(t *testing.T) {
			want, err := oldMarshal(env)
			if err != nil {
				t.Fatal(err)
			}
			got, err := env.Marshal()
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, want) {
				t.Fatalf("Marshal wrote\n%s\nencoding/json wrote\n%s", got, want)
			}
		})
	}
}

// TestDecodeMatchesEncodingJSON: what the old code wrote, the new code
// reads into the same envelope and payload as the old code did.
func TestDecodeMatchesEncodingJSON(t *testing.T) {
	for name, env := range envelopes(t) {
		if IsChunk(env.Type) {
			continue // chunks travel in their record form (chunk_test.go)
		}
		t.Run(name, func(t *testing.T) {
			wire, err := oldMarshal(env)
			if err != nil {
				t.Fatal(err)
			}
			want, err := oldUnmarshal(wire)
			if err != nil {
				t.Fatal(err)
			}
			got, err := Unmarshal(wire)
			if err != nil {
				t.Fatalf("Unmarshal: %v", err)
			}
			if !reflect.DeepEqual(got, want) {
				t.Fatalf("envelope\n%+v\nencoding/json read\n%+v", got, want)
			}
			wantP, err := oldDecode(want)
			if err != nil {
				t.Fatal(err)
			}
			gotP, err := got.Decode()
			if err != nil {
				t.Fatalf("Decode: %v", err)
			}
			if !reflect.DeepEqual(gotP, wantP) {
				t.Fatalf("payload\n%+v\nencoding/json read\n%+v", gotP, wantP)
			}
			if strings.HasSuffix(name, "/sealed") {
				if err := Verify(got, testKey); err != nil {
					t.Fatalf("Verify: %v", err)
				}
			}
		})
	}
}

// TestUnmarshalKeepsPayloadBytes: the payload a reader verifies is the
// exact bytes on the wire, whitespace and escapes included.
func TestUnmarshalKeepsPayloadBytes(t *testing.T) {
	payload := " {\n  \"reason\" : \"\\u003c \\u00e9\" ,\"by\":{\"sub\":\"a\",\"iss\":\"b\"}\t} "
	wire := `{"id":"e","type":"approval.given","version":1,"request_id":"r","time":"2026-11-26T12:00:00Z","producer":"p","payload":` + payload + `}`
	env, err := Unmarshal([]byte(wire))
	if err != nil {
		t.Fatal(err)
	}
	if want := strings.TrimSpace(payload); string(env.Payload) != want {
		t.Fatalf("payload %q, want %q", env.Payload, want)
	}
}

// TestStricterThanEncodingJSON lists what the reader refuses although
// encoding/json accepted it. No jitgate ever wrote any of these.
func TestStricterThanEncodingJSON(t *testing.T) {
	const base = `{"id":"e","type":"hold.expired","version":1,"request_id":"r","time":"2026-11-26T12:00:00Z","producer":"p","payload":{}}`
	tests := []struct{ name, wire string }{
		{"member name in another case", strings.Replace(base, `"id"`, `"ID"`, 1)},
		{"duplicate member", strings.Replace(base, `"id":"e"`, `"id":"e","id":"f"`, 1)},
		{"invalid UTF-8", strings.Replace(base, `"producer":"p"`, "\"producer\":\"p\xff\"", 1)},
		{"trailing data", base + `{}`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := Unmarshal([]byte(tc.wire)); !errors.Is(err, ErrMalformed) {
				t.Fatalf("got %v, want ErrMalformed", err)
			}
		})
	}
}

// TestSealReEncodesReplacedPayload: a payload replaced after NewEnvelope
// is no longer known canonical, so Seal puts it in wire form first.
func TestSealReEncodesReplacedPayload(t *testing.T) {
	env, err := NewEnvelope("e", "r", "decider/d", time.Now(), &HoldExpired{})
	if err != nil {
		t.Fatal(err)
	}
	env.Payload = stdjson.RawMessage(" { } ")
	if err := Seal(&env, testKey); err != nil {
		t.Fatal(err)
	}
	if string(env.Payload) != "{}" {
		t.Fatalf("sealed payload %q, want it in wire form", env.Payload)
	}
	if err := Verify(roundTrip(t, env), testKey); err != nil {
		t.Fatal(err)
	}
}

// TestGoldenWire: the records in testdata were written by the
// encoding/json codec (main before the codec changed). The current code
// writes the same bytes from the same events, and reads and verifies them.
func TestGoldenWire(t *testing.T) {
	at := time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
	req := benchRequest()
	tests := []struct {
		file     string
		payload  Payload
		producer string
	}{
		{"request.received.json", req, ProducerName(RoleIngress, "ingress-1")},
		{"decision.made.json", &DecisionMade{RequestID: "req-1", Outcome: Allow, Rule: "sandbox-allow",
			Reason: "sandbox agents may <create>, read & write", Request: *req,
			Hold: &HoldTerms{Approvers: []string{"sre"}, Approvals: 1, Expires: at, Grant: &GrantTerms{For: time.Hour, Scope: "call"}}},
			ProducerName(RoleDecider, "decider-1")},
		{"session.issued.json", &SessionIssued{Principal: Principal{Subject: "system:serviceaccount:ci:deployer", Issuer: "https://oidc.example.com/<k8s>",
			Groups: []string{"agents", "ci & deploy"}}, SessionID: "JGIAABCDEFGHIJKLMNOP", Role: "arn:aws:iam::123456789012:role/agents/reader",
			SessionName: "deploy-42", Expires: at.Add(time.Hour), Audience: "jitgate", Source: "10.0.0.7", Replica: "ingress-1"},
			ProducerName(RoleIngress, "ingress-1")},
	}
	for _, tc := range tests {
		t.Run(tc.file, func(t *testing.T) {
			golden, err := os.ReadFile("testdata/golden/" + tc.file)
			if err != nil {
				t.Fatal(err)
			}
			golden = bytes.TrimSuffix(golden, []byte("\n"))
			env, err := NewEnvelope("ev-1", "req-1", tc.producer, at, tc.payload)
			if err != nil {
				t.Fatal(err)
			}
			if err := Seal(&env, testKey); err != nil {
				t.Fatal(err)
			}
			wire, err := env.Marshal()
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(wire, golden) {
				t.Fatalf("wrote\n%s\ngolden\n%s", wire, golden)
			}
			back, err := Unmarshal(golden)
			if err != nil {
				t.Fatal(err)
			}
			if err := Verify(back, testKey); err != nil {
				t.Fatal(err)
			}
			p, err := back.Decode()
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(p, tc.payload) {
				t.Fatalf("read\n%+v\nwant\n%+v", p, tc.payload)
			}
		})
	}
}

func TestSetPayloadRefusesAnotherType(t *testing.T) {
	env, err := NewEnvelope("e", "r", "p", time.Now(), &HoldExpired{})
	if err != nil {
		t.Fatal(err)
	}
	if err := env.SetPayload(&HoldDenied{}); !errors.Is(err, ErrWrongType) {
		t.Fatalf("got %v, want ErrWrongType", err)
	}
}

// FuzzReaderNoLooserThanEncodingJSON: whatever Unmarshal and Decode
// accept, the encoding/json reader accepted too, with the same values,
// so no record means one thing to this build and another to an older
// one (or to a tool on encoding/json).
func FuzzReaderNoLooserThanEncodingJSON(f *testing.F) {
	for _, name := range []string{"request.received.json", "decision.made.json", "session.issued.json"} {
		golden, err := os.ReadFile("testdata/golden/" + name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(golden)
	}
	f.Add([]byte(`{"id":"e","type":"hold.expired","version":1,"request_id":"r","time":"2026-11-26T12:00:00+01:00","producer":"p","payload":{}}`))
	f.Add([]byte(`{"id":"e","type":"grant.opened","version":1,"request_id":"r","time":"2026-11-26T12:00:00Z","producer":"p","payload":{"grant_id":"g","for":-0,"scope":"x"}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		env, err := Unmarshal(data)
		if err != nil {
			return
		}
		old, err := oldUnmarshal(data)
		if err != nil {
			t.Fatalf("Unmarshal accepted what encoding/json refused (%v)", err)
		}
		sameJSON(t, "envelope", env, old)
		p, err := env.Decode()
		if err != nil {
			return
		}
		oldP, err := oldDecode(old)
		if err != nil {
			t.Fatalf("Decode accepted what encoding/json refused (%v)", err)
		}
		sameJSON(t, "payload", p, oldP)
	})
}

// sameJSON fails unless got and want encode alike (time zones compare by
// offset, not by *time.Location).
func sameJSON(t *testing.T, what string, got, want any) {
	t.Helper()
	g, err1 := stdjson.Marshal(got)
	w, err2 := stdjson.Marshal(want)
	if err1 != nil || err2 != nil || !bytes.Equal(g, w) {
		t.Fatalf("%s read as\n%s (%v)\nencoding/json read\n%s (%v)", what, g, err1, w, err2)
	}
}
