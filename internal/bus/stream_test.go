package bus

import (
	"bytes"
	"testing"
	"time"

	"github.com/jitgate/jitgate/schemas"
)

// A streamed record is byte for byte the record the generic path writes:
// only the cost differs.
func TestStreamRecordIsTheRecord(t *testing.T) {
	cfg := Config{Brokers: []string{"127.0.0.1:1"}}
	cfg.setDefaults()
	data := bytes.Repeat([]byte{0, 1, 2, '<', '>', '&', '"', 0xff}, 64<<10)
	for name, p := range map[string]schemas.Payload{
		"request chunk":            &schemas.RequestBodyChunk{Seq: 3, Data: data, Last: true},
		"response chunk":           &schemas.ResponseBodyChunk{ReplyTo: "ingress-1", Seq: 0, Data: data, Maskable: true},
		"response chunk, no bytes": &schemas.ResponseBodyChunk{Seq: 9, Last: true, Error: "upstream <reset> & gone"},
	} {
		t.Run(name, func(t *testing.T) {
			env, err := schemas.NewEnvelope("ev-1", "req-1", "ingress/test", time.Unix(1700000000, 5), p)
			if err != nil {
				t.Fatal(err)
			}
			o := Output{Topic: schemas.TopicRequests, ReplyTo: "ingress-1", Envelope: env}
			want, err := cfg.record(o)
			if err != nil {
				t.Fatal(err)
			}
			got, err := cfg.streamRecord(o)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got.Value, want.Value) || !bytes.Equal(got.Key, want.Key) || len(got.Headers) != len(want.Headers) {
				t.Fatalf("streamed record differs:\n%.200s\n%.200s", got.Value, want.Value)
			}
			c, err := decodeChunk(got.Value)
			if err != nil || c.requestID != "req-1" || c.typ != env.Type {
				t.Fatalf("decodeChunk: %+v %v", c, err)
			}
		})
	}
}
