package schemas

import (
	"bytes"
	"errors"
	"reflect"
	"testing"
	"time"
)

func TestChunkRecordRoundTrip(t *testing.T) {
	at := time.Date(2026, 11, 26, 12, 0, 0, 123456789, time.FixedZone("CET", 3600))
	tests := []struct {
		name string
		p    Payload
	}{
		{"request chunk", &RequestBodyChunk{Seq: 3, Data: []byte("some body bytes\x00\xff"), Last: true}},
		{"request chunk, empty data", &RequestBodyChunk{Seq: 0}},
		{"response chunk", &ResponseBodyChunk{ReplyTo: "ingress/i-1", Seq: 7, Data: []byte{1, 2, 3}, Maskable: true}},
		{"response chunk that broke off", &ResponseBodyChunk{ReplyTo: "ingress/i-2", Seq: 2, Last: true, Error: "upstream: connection reset"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			env, err := NewEnvelope("ev-1", "req-1", "executor/e-1", at, tc.p)
			if err != nil {
				t.Fatal(err)
			}
			hs, value, err := EncodeChunk(env)
			if err != nil {
				t.Fatal(err)
			}
			back, err := DecodeChunk(hs, value)
			if err != nil {
				t.Fatalf("DecodeChunk: %v", err)
			}
			if back.ID != "ev-1" || back.Type != tc.p.EventType() || back.Version != Version || back.RequestID != "req-1" ||
				back.Producer != "executor/e-1" || !back.Time.Equal(at) || back.Time.Location() != time.UTC || back.Auth != "" || len(back.Payload) != 0 {
				t.Fatalf("envelope fields did not survive: %+v", back)
			}
			got, err := back.Decode()
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(normChunk(got), normChunk(tc.p)) {
				t.Fatalf("payload %+v, want %+v", got, tc.p)
			}
			// The JSON form (the recorder's, tools') still works.
			raw, err := back.Marshal()
			if err != nil {
				t.Fatal(err)
			}
			j, err := Unmarshal(raw)
			if err != nil {
				t.Fatal(err)
			}
			if jp, err := j.Decode(); err != nil || !reflect.DeepEqual(normChunk(jp), normChunk(tc.p)) {
				t.Fatalf("JSON form decodes to %+v (%v), want %+v", jp, err, tc.p)
			}
		})
	}
}

// normChunk treats nil and empty data alike.
func normChunk(p Payload) Payload {
	switch c := copyChunk(p).(type) {
	case *RequestBodyChunk:
		if len(c.Data) == 0 {
			c.Data = nil
		}
		return c
	case *ResponseBodyChunk:
		if len(c.Data) == 0 {
			c.Data = nil
		}
		return c
	}
	return p
}

func TestChunkRecordSharesData(t *testing.T) {
	data := bytes.Repeat([]byte("x"), 1<<10)
	env, _ := NewEnvelope("e", "r", "p", time.Now(), &RequestBodyChunk{Data: data})
	_, value, err := EncodeChunk(env)
	if err != nil {
		t.Fatal(err)
	}
	if &value[0] != &data[0] {
		t.Fatal("EncodeChunk copied the data; the record form exists to avoid that")
	}
	back, err := DecodeChunk(mustHeaders(t, env), value)
	if err != nil {
		t.Fatal(err)
	}
	c, err := DecodeAs[*RequestBodyChunk](back)
	if err != nil || &c.Data[0] != &value[0] {
		t.Fatalf("DecodeChunk copied the data (%v)", err)
	}
	// A reader changing its payload does not change the envelope's.
	c.Seq = 99
	if again, _ := DecodeAs[*RequestBodyChunk](back); again.Seq != 0 {
		t.Fatal("Decode handed out the envelope's own payload")
	}
}

func mustHeaders(t *testing.T, env Envelope) []RecordHeader {
	t.Helper()
	hs, _, err := EncodeChunk(env)
	if err != nil {
		t.Fatal(err)
	}
	return hs
}

func TestChunkRecordStrictDecoding(t *testing.T) {
	env, err := NewEnvelope("ev-1", "req-1", "executor/e-1", time.Now(), &ResponseBodyChunk{ReplyTo: "i-1", Seq: 1, Data: []byte("d")})
	if err != nil {
		t.Fatal(err)
	}
	good := mustHeaders(t, env)
	without := func(k string) []RecordHeader {
		var out []RecordHeader
		for _, h := range good {
			if h.Key != k {
				out = append(out, h)
			}
		}
		return out
	}
	with := func(k, v string) []RecordHeader {
		return append(without(k), RecordHeader{Key: k, Value: []byte(v)})
	}
	malformed := func(err error) bool { return errors.Is(err, ErrMalformed) }
	tests := []struct {
		name    string
		headers []RecordHeader
		check   func(error) bool
	}{
		{"missing id", without(HeaderID), malformed},
		{"missing time", without(HeaderTime), malformed},
		{"missing producer", without(HeaderProducer), malformed},
		{"missing request id", without(HeaderRequestID), malformed},
		{"missing seq", without(HeaderSeq), malformed},
		{"missing last", without(HeaderLast), malformed},
		{"missing reply-to on a response chunk", without(HeaderReplyTo), malformed},
		{"missing maskable", without(HeaderMaskable), malformed},
		{"missing error", without(HeaderError), malformed},
		{"missing version", without(HeaderVersion), malformed},
		{"missing type", without(HeaderType), malformed},
		{"unknown type", with(HeaderType, "request.body_shard"), func(err error) bool { var e *UnknownTypeError; return errors.As(err, &e) }},
		{"a type that is not a chunk", with(HeaderType, string(TypeResponseReady)), malformed},
		{"newer version", with(HeaderVersion, "2"), func(err error) bool { var e *UnsupportedVersionError; return errors.As(err, &e) }},
		{"unknown jg header", append(good[:len(good):len(good)], RecordHeader{Key: "jg-priority", Value: []byte("1")}), malformed},
		{"a request chunk with response headers", with(HeaderType, string(TypeRequestBodyChunk)), malformed},
		{"repeated header", append(good[:len(good):len(good)], RecordHeader{Key: HeaderSeq, Value: []byte("0")}), malformed},
		{"empty id", with(HeaderID, ""), malformed},
		{"negative seq", with(HeaderSeq, "-1"), malformed},
		{"seq not a number", with(HeaderSeq, "one"), malformed},
		{"last not a boolean", with(HeaderLast, "1"), malformed},
		{"maskable not a boolean", with(HeaderMaskable, "yes"), malformed},
		{"time not RFC 3339", with(HeaderTime, "yesterday"), malformed},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := DecodeChunk(tc.headers, []byte("d"))
			if err == nil || !tc.check(err) {
				t.Fatalf("got error %v", err)
			}
		})
	}
	t.Run("other tools' headers are ignored", func(t *testing.T) {
		hs := append(good[:len(good):len(good)], RecordHeader{Key: "traceparent", Value: []byte("00-abc")})
		if _, err := DecodeChunk(hs, []byte("d")); err != nil {
			t.Fatal(err)
		}
	})
}

func TestEncodeChunkRefuses(t *testing.T) {
	chunk, _ := NewEnvelope("e", "r", "p", time.Now(), &RequestBodyChunk{Data: []byte("d")})
	sealed := chunk
	sealed.Auth = "00"
	noID := chunk
	noID.ID = ""
	ready, _ := NewEnvelope("e", "r", "p", time.Now(), &ResponseReady{})
	jsonChunk := Envelope{ID: "e", Type: TypeRequestBodyChunk, Version: Version, Payload: []byte(`{"seq":0}`)}
	for name, env := range map[string]Envelope{
		"a sealed chunk":           sealed,
		"a chunk without id":       noID,
		"an event of another type": ready,
		"a JSON-only chunk":        jsonChunk,
	} {
		t.Run(name, func(t *testing.T) {
			if _, _, err := EncodeChunk(env); !errors.Is(err, ErrMalformed) {
				t.Fatalf("got %v, want ErrMalformed", err)
			}
		})
	}
}

// FuzzDecodeChunk feeds arbitrary header values: DecodeChunk must not
// panic, and what it accepts must encode back to the same record.
func FuzzDecodeChunk(f *testing.F) {
	f.Add("response.body_chunk", "1", "req", "ev", "2026-01-01T00:00:00Z", "executor/e", "0", "true", "i-1", "false", "", []byte("data"))
	f.Add("request.body_chunk", "1", "req", "ev", "2026-01-01T00:00:00.5+01:00", "ingress/i", "7", "false", "", "", "", []byte{})
	f.Fuzz(func(t *testing.T, typ, version, req, id, at, producer, seq, last, replyTo, maskable, failed string, value []byte) {
		hs := []RecordHeader{{HeaderType, []byte(typ)}, {HeaderVersion, []byte(version)}, {HeaderRequestID, []byte(req)},
			{HeaderID, []byte(id)}, {HeaderTime, []byte(at)}, {HeaderProducer, []byte(producer)}, {HeaderSeq, []byte(seq)}, {HeaderLast, []byte(last)}}
		if typ == string(TypeResponseBodyChunk) {
			hs = append(hs, RecordHeader{HeaderReplyTo, []byte(replyTo)}, RecordHeader{HeaderMaskable, []byte(maskable)}, RecordHeader{HeaderError, []byte(failed)})
		}
		env, err := DecodeChunk(hs, value)
		if err != nil {
			return
		}
		hs2, value2, err := EncodeChunk(env)
		if err != nil {
			t.Fatalf("accepted %+v but cannot encode it: %v", env, err)
		}
		back, err := DecodeChunk(hs2, value2)
		if err != nil || back.ID != env.ID || !back.Time.Equal(env.Time) || !bytes.Equal(value2, value) {
			t.Fatalf("re-encoded record reads differently: %+v, %v", back, err)
		}
	})
}
