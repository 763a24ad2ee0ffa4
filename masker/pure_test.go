package masker

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/jitgate/jitgate/internal/bus"
	"github.com/jitgate/jitgate/schemas"
)

// encoded renders every output of res as the bytes a reader would get:
// where it goes, and the whole envelope.
func encoded(t *testing.T, res bus.Result) []string {
	t.Helper()
	var out []string
	for _, o := range res.Out {
		b, err := o.Envelope.Marshal()
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, fmt.Sprintf("%s|%s|%s|%s", o.Topic, o.Key, o.ReplyTo, b))
	}
	return out
}

// checkPure handles in with two maskers built alike and fails unless both
// return the same events byte for byte (ids, times, payloads), with ids
// derived from the input's, distinct, and times after the input's, in
// order. The masker is an idempotent stage: an input handled twice must
// be the same events to the recorder and the ingress.
func checkPure(t *testing.T, cfg bus.Config, in bus.Message) bus.Result {
	t.Helper()
	first := mustHandle(t, newMasker(t, cfg), in)
	second := mustHandle(t, newMasker(t, cfg), in)
	a, b := encoded(t, first), encoded(t, second)
	if len(a) == 0 || len(a) != len(b) {
		t.Fatalf("%d and %d outputs", len(a), len(b))
	}
	for i := range a {
		if a[i] != b[i] {
			t.Errorf("output %d differs between two runs on the same input:\n%.300s\n%.300s", i, a[i], b[i])
		}
	}
	seen := map[string]bool{}
	last := in.Envelope.Time
	for _, o := range first.Out {
		e := o.Envelope
		if !strings.HasPrefix(e.ID, in.Envelope.ID+"/") || seen[e.ID] {
			t.Errorf("output id %q is not derived from the input's %q, or repeats", e.ID, in.Envelope.ID)
		}
		seen[e.ID] = true
		if !e.Time.After(last) {
			t.Errorf("%s at %v, not after %v", e.Type, e.Time, last)
		}
		last = e.Time
		if e.RequestID != in.Envelope.RequestID {
			t.Errorf("%s for request %q", e.Type, e.RequestID)
		}
	}
	return first
}

func TestHandleIsPure(t *testing.T) {
	big := `{"SecretString":"big-SECRET","Pad":"` + strings.Repeat("x", bus.ChunkSize+100) + `"}`
	unknown := &schemas.ExecutionFinished{ReplyTo: "ingress-1", Service: "dynamodb", Operation: "PutItem", Protocol: "json",
		Error: "the outcome of this call is unknown", ErrorKind: schemas.ErrorOutcomeUnknown}
	transport := finished("", nil)
	transport.Error = "dial tcp: connection refused"
	passThrough := finished("application/octet-stream", nil)
	passThrough.Service, passThrough.Operation, passThrough.Protocol = "s3", "GetObject", "rest-xml"
	passThrough.Response.BodyChunks, passThrough.Response.BodySize = 2, 10
	tests := []struct {
		name    string
		in      schemas.Payload
		outputs int
	}{
		{"masked answer", finished("text/xml", []byte(stsAnswer)), 1},
		{"masked answer too large for one event", answer{service: "secretsmanager", operation: "GetSecretValue", protocol: "json",
			headers: []string{"Content-Type", "application/x-amz-json-1.1"}, body: []byte(big)}.finished(), 3},
		{"withheld answer and its security event", finished("application/json", []byte(`{"SecretAccessKey": "x"`)), 2},
		{"transport error", transport, 1},
		{"outcome unknown", unknown, 1},
		{"answer whose body streams through", passThrough, 1},
		{"body chunk passed through", &schemas.ResponseBodyChunk{ReplyTo: "ingress-1", Seq: 3, Data: []byte("bytes")}, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env, err := schemas.NewEnvelope("req-1/"+string(tt.in.EventType())+"/0", "req-1", "executor/a",
				time.Date(2026, 5, 6, 7, 8, 9, 123456000, time.UTC), tt.in)
			if err != nil {
				t.Fatal(err)
			}
			res := checkPure(t, bus.Config{}, bus.Message{Topic: schemas.TopicExecutions, Envelope: env})
			if len(res.Out) != tt.outputs {
				t.Errorf("%d outputs, want %d", len(res.Out), tt.outputs)
			}
		})
	}
}
