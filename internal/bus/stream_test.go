package bus

import (
	"bytes"
	"testing"
	"time"

	"github.com/jitgate/jitgate/schemas"
)

// A streamed chunk record is the record the generic path writes, except
// that its value is a copy the caller cannot change: callers reuse their
// chunk buffer as soon as Send returns.
func TestStreamRecordCopiesChunkData(t *testing.T) {
	cfg := Config{Brokers: []string{"127.0.0.1:1"}}
	cfg.setDefaults()
	data := bytes.Repeat([]byte{0, 1, 2, '<', '>', '&', '"', 0xff}, 64<<10)
	for name, p := range map[string]schemas.Payload{
		"request chunk":            &schemas.RequestBodyChunk{Seq: 3, Data: data, Last: true},
		"response chunk":           &schemas.ResponseBodyChunk{ReplyTo: "ingress-1", Seq: 0, Data: data, Maskable: true},
		"response chunk, no bytes": &schemas.ResponseBodyChunk{ReplyTo: "ingress-1", Seq: 9, Last: true, Error: "upstream <reset> & gone"},
	} {
		t.Run(name, func(t *testing.T) {
			buf := append([]byte(nil), data...)
			switch c := p.(type) {
			case *schemas.RequestBodyChunk:
				c.Data = buf
			case *schemas.ResponseBodyChunk:
				if c.Data != nil {
					c.Data = buf
				}
			}
			env, err := schemas.NewEnvelope("ev-1", "req-1", "ingress/test", time.Unix(1700000000, 5), p)
			if err != nil {
				t.Fatal(err)
			}
			o := Output{Topic: schemas.TopicBodies, ReplyTo: "ingress-1", Envelope: env}
			want, err := cfg.record(o)
			if err != nil {
				t.Fatal(err)
			}
			wantValue := append([]byte(nil), want.Value...)
			got, release, err := cfg.streamRecord(o)
			if err != nil {
				t.Fatal(err)
			}
			defer release()
			for i := range buf {
				buf[i] = 'X' // the caller reuses its buffer
			}
			if !bytes.Equal(got.Value, wantValue) || !bytes.Equal(got.Key, want.Key) || len(got.Headers) != len(want.Headers) {
				t.Fatalf("streamed record differs from the generic one, or shares the caller's buffer")
			}
			back, err := cfg.message(got)
			if err != nil {
				t.Fatal(err)
			}
			if back.Envelope.ID != "ev-1" || back.Envelope.RequestID != "req-1" || back.Envelope.Type != env.Type {
				t.Fatalf("message: %+v", back.Envelope)
			}
		})
	}
}
