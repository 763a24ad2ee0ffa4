package bus

import (
	"bytes"
	"errors"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/jitgate/jitgate/schemas"
)

// A chunk travels raw: its record value is its data, byte for byte, and
// its fields come back from the headers alone.
func TestChunkRecordForm(t *testing.T) {
	cfg := Config{Brokers: []string{"127.0.0.1:1"}}
	cfg.setDefaults()
	data := bytes.Repeat([]byte(`{"not":"json"}`+"\x00\xff"), 4<<10)
	at := time.Date(2026, 1, 2, 3, 4, 5, 6, time.UTC)
	tests := []struct {
		name  string
		topic string
		p     schemas.Payload
	}{
		{"request chunk", schemas.TopicBodies, &schemas.RequestBodyChunk{Seq: 2, Data: data, Last: true}},
		{"response chunk", schemas.TopicResponses, &schemas.ResponseBodyChunk{ReplyTo: "ingress/i-1", Seq: 5, Data: data, Maskable: true}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			env, err := schemas.NewEnvelope("ev-9", "req-9", "executor/e-1", at, tc.p)
			if err != nil {
				t.Fatal(err)
			}
			rec, err := cfg.record(Output{Topic: tc.topic, Envelope: env})
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(rec.Value, data) || string(rec.Key) != "req-9" || header(rec, schemas.HeaderType) != string(tc.p.EventType()) {
				t.Fatalf("record value is not the raw data, or key/type wrong: key %q type %q", rec.Key, header(rec, schemas.HeaderType))
			}
			rec.Topic = cfg.Topic(tc.topic)
			m, err := cfg.message(rec)
			if err != nil {
				t.Fatal(err)
			}
			if m.Envelope.ID != "ev-9" || !m.Envelope.Time.Equal(at) || m.Envelope.Producer != "executor/e-1" || m.Topic != tc.topic {
				t.Fatalf("envelope %+v", m.Envelope)
			}
			p, err := m.Envelope.Decode()
			if err != nil {
				t.Fatal(err)
			}
			switch c := p.(type) {
			case *schemas.RequestBodyChunk:
				if c.Seq != 2 || !c.Last || !bytes.Equal(c.Data, data) {
					t.Fatalf("chunk %+v", c)
				}
			case *schemas.ResponseBodyChunk:
				if c.Seq != 5 || c.Last || !c.Maskable || c.ReplyTo != "ingress/i-1" || !bytes.Equal(c.Data, data) {
					t.Fatalf("chunk %+v", c)
				}
			}
		})
	}
}

func TestChunkRecordRefused(t *testing.T) {
	cfg := Config{Brokers: []string{"127.0.0.1:1"}}
	cfg.setDefaults()
	env, err := schemas.NewEnvelope("ev-1", "req-1", "executor/e-1", time.Now(), &schemas.ResponseBodyChunk{ReplyTo: "i-1", Data: []byte("d")})
	if err != nil {
		t.Fatal(err)
	}
	good, err := cfg.record(Output{Topic: schemas.TopicExecutions, Envelope: env})
	if err != nil {
		t.Fatal(err)
	}
	drop := func(name string) *kgo.Record {
		r := *good
		r.Headers = nil
		for _, h := range good.Headers {
			if h.Key != name {
				r.Headers = append(r.Headers, h)
			}
		}
		return &r
	}
	set := func(name, v string) *kgo.Record {
		r := drop(name)
		r.Headers = append(r.Headers, kgo.RecordHeader{Key: name, Value: []byte(v)})
		return r
	}
	// A chunk-typed JSON envelope: the form chunks had before.
	old := &kgo.Record{Topic: good.Topic, Value: []byte(`{"id":"e","type":"response.body_chunk","version":1,"request_id":"r","time":"2026-01-01T00:00:00Z","producer":"p","payload":{"seq":0,"data":"ZA=="}}`),
		Headers: []kgo.RecordHeader{{Key: schemas.HeaderRequestID, Value: []byte("r")}}}
	tests := []struct {
		name string
		rec  *kgo.Record
		want func(error) bool
	}{
		{"missing id", drop(schemas.HeaderID), func(err error) bool { return errors.Is(err, schemas.ErrMalformed) }},
		{"missing seq", drop(schemas.HeaderSeq), func(err error) bool { return errors.Is(err, schemas.ErrMalformed) }},
		{"unknown jg header", set("jg-compressed", "zstd"), func(err error) bool { return errors.Is(err, schemas.ErrMalformed) }},
		{"newer version", set(schemas.HeaderVersion, "2"), func(err error) bool {
			var e *schemas.UnsupportedVersionError
			return errors.As(err, &e)
		}},
		{"a chunk as a JSON envelope", old, func(err error) bool { return errors.Is(err, schemas.ErrMalformed) }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := cfg.message(tc.rec)
			var de *DecodeError
			if !errors.As(err, &de) || !tc.want(err) {
				t.Fatalf("got %v, want a DecodeError", err)
			}
		})
	}
	t.Run("output reply-to differs from the chunk's", func(t *testing.T) {
		if _, err := cfg.record(Output{Topic: schemas.TopicResponses, ReplyTo: "i-2", Envelope: env}); err == nil {
			t.Fatal("a chunk was routed to a replica its payload does not name")
		}
	})
}
