package bus

import (
	"bytes"
	"context"
	"errors"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/jitgate/jitgate/schemas"
)

// A chunk record someone else wrote on the partition (same request id,
// same sequence number, other bytes) does not change the body the executor
// streams: only chunks matching the sealed digests count.
func TestOpenRequestBodySkipsChunksThatDoNotMatch(t *testing.T) {
	for name, addrs := range brokers(t) {
		t.Run(name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			cfg := testConfig(t, addrs)
			pub := testPublisher(t, cfg)
			body := bytes.Repeat([]byte("genuine body "), ChunkSize/6)
			parts := Chunks(body)
			if len(parts) < 2 {
				t.Fatalf("test body makes %d chunks, want several", len(parts))
			}
			chunk := func(seq int, data []byte) Output {
				return Output{Topic: schemas.TopicRequests, Key: "req-1",
					Envelope: event(t, "req-1", &schemas.RequestBodyChunk{Seq: seq, Data: data})}
			}
			// As the ingress does: the chunks stream first (a forged chunk
			// 0 among them), the request that names them follows.
			st := pub.Stream()
			outs := []Output{chunk(0, []byte("attacker's bytes"))}
			for i, p := range parts {
				outs = append(outs, chunk(i, p))
			}
			for i, o := range outs {
				if err := st.Send(ctx, o); err != nil {
					t.Fatal(err)
				}
				if i == 0 {
					// And a record that claims to be one of the request's
					// chunks but does not decode: skipped, not fatal.
					if _, err := st.Close(ctx); err != nil {
						t.Fatal(err)
					}
					bad := &kgo.Record{Topic: cfg.Topic(schemas.TopicRequests), Key: []byte("req-1"), Value: []byte("junk"),
						Headers: []kgo.RecordHeader{{Key: schemas.HeaderType, Value: []byte(schemas.TypeRequestBodyChunk)}, {Key: schemas.HeaderRequestID, Value: []byte("req-1")}}}
					if err := pub.cl.ProduceSync(ctx, bad).FirstErr(); err != nil {
						t.Fatal(err)
					}
				}
			}
			first, err := st.Close(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if first.Topic != cfg.Topic(schemas.TopicRequests) || first.Partition != partitionOf(t, ctx, cfg, "req-1") {
				t.Fatalf("first chunk at %+v", first)
			}
			received := Output{Topic: schemas.TopicRequests, Envelope: event(t, "req-1", &schemas.RequestReceived{})}
			if err := pub.Publish(ctx, received); err != nil {
				t.Fatal(err)
			}
			rc, err := OpenRequestBody(ctx, cfg, first, "req-1", ChunkDigests(parts))
			if err != nil {
				t.Fatal(err)
			}
			defer rc.Close()
			got, err := io.ReadAll(rc)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, body) {
				t.Fatalf("streamed %d bytes, want the genuine %d", len(got), len(body))
			}
			if _, err := OpenRequestBody(ctx, cfg, schemas.RecordRef{}, "req-1", nil); err == nil {
				t.Fatal("a chunked body without digests was opened")
			}
		})
	}
}

// partitionOf finds the partition the request's records went to.
func partitionOf(t *testing.T, ctx context.Context, cfg Config, requestID string) int32 {
	t.Helper()
	tail, err := NewTail(ctx, cfg, FromStart, nil, schemas.TopicRequests)
	if err != nil {
		t.Fatal(err)
	}
	found := make(chan int32, 1)
	tctx, cancel := context.WithCancel(ctx)
	defer cancel()
	go tail.Run(tctx, nil, func(m Message) {
		if m.Envelope.RequestID == requestID {
			select {
			case found <- m.Partition:
			default:
			}
			cancel()
		}
	})
	select {
	case p := <-found:
		return p
	case <-ctx.Done():
		t.Fatal("request not found on the requests topic")
		return 0
	}
}

// A response body of unknown length is read up to the chunk marked Last;
// one that broke off upstream ends in ErrBodyFailed, never in a clean end.
func TestOpenResponseBodyUntilLast(t *testing.T) {
	for name, addrs := range brokers(t) {
		t.Run(name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			cfg := testConfig(t, addrs)
			pub := testPublisher(t, cfg)
			tests := []struct {
				name   string
				chunks []*schemas.ResponseBodyChunk
				want   string
				err    error
			}{
				{name: "until last", want: "abcdef", chunks: []*schemas.ResponseBodyChunk{
					{Seq: 0, Data: []byte("abc")}, {Seq: 1, Data: []byte("def"), Last: true}, {Seq: 2, Data: []byte("not this")}}},
				{name: "broke off", err: ErrBodyFailed, chunks: []*schemas.ResponseBodyChunk{
					{Seq: 0, Data: []byte("abc")}, {Seq: 1, Last: true, Error: "upstream closed the connection"}}},
			}
			for _, tt := range tests {
				id := "resp-" + strings.ReplaceAll(tt.name, " ", "-")
				fin := Output{Topic: schemas.TopicExecutions, Envelope: event(t, id, &schemas.ExecutionFinished{})}
				if err := pub.Publish(ctx, fin); err != nil {
					t.Fatal(err)
				}
				st := pub.Stream()
				for _, c := range tt.chunks {
					if err := st.Send(ctx, Output{Topic: schemas.TopicExecutions, Envelope: event(t, id, c)}); err != nil {
						t.Fatal(err)
					}
				}
				first, err := st.Close(ctx)
				if err != nil {
					t.Fatal(err)
				}
				// The execution.finished lies just before the first chunk.
				first.Offset--
				rc, err := OpenResponseBody(ctx, cfg, first, id, -1)
				if err != nil {
					t.Fatal(err)
				}
				got, err := io.ReadAll(rc)
				rc.Close()
				if !errors.Is(err, tt.err) || string(got) != tt.want && tt.err == nil {
					t.Fatalf("%s: read %q, %v; want %q, %v", tt.name, got, err, tt.want, tt.err)
				}
			}
		})
	}
}

// A body whose reader stops before the last chunk (its context ended, or
// the chunks never came) ends in an error, never in a clean EOF: the
// executor must not upload a cut body as a whole one.
func TestOpenResponseBodyCutShortIsAnError(t *testing.T) {
	for name, addrs := range brokers(t) {
		t.Run(name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			cfg := testConfig(t, addrs)
			pub := testPublisher(t, cfg)
			id := "resp-cut"
			st := pub.Stream()
			for _, c := range []*schemas.ResponseBodyChunk{{Seq: 0, Data: []byte("abc")}, {Seq: 1, Data: []byte("def")}} {
				if err := st.Send(ctx, Output{Topic: schemas.TopicExecutions, Envelope: event(t, id, c)}); err != nil {
					t.Fatal(err)
				}
			}
			first, err := st.Close(ctx)
			if err != nil {
				t.Fatal(err)
			}
			first.Offset--
			rctx, rcancel := context.WithTimeout(ctx, 2*time.Second)
			defer rcancel()
			rc, err := OpenResponseBody(rctx, cfg, first, id, 3) // a third chunk never comes
			if err != nil {
				t.Fatal(err)
			}
			defer rc.Close()
			got, err := io.ReadAll(rc)
			if err == nil || !errors.Is(err, context.DeadlineExceeded) {
				t.Fatalf("read %q with error %v, want the context's error", got, err)
			}
			if string(got) != "abcdef" {
				t.Fatalf("read %q before the error, want the chunks that came", got)
			}
		})
	}
}
