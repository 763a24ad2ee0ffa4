package bus

import (
	"bytes"
	"context"
	"io"
	"testing"
	"time"

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
			pub, err := NewPublisher(cfg)
			if err != nil {
				t.Fatal(err)
			}
			defer pub.Close()
			body := bytes.Repeat([]byte("genuine body "), ChunkSize/6)
			parts := Chunks(body)
			if len(parts) < 2 {
				t.Fatalf("test body makes %d chunks, want several", len(parts))
			}
			chunk := func(seq int, data []byte) Output {
				return Output{Topic: schemas.TopicRequests, Key: "req-1",
					Envelope: event(t, "req-1", &schemas.RequestBodyChunk{Seq: seq, Data: data})}
			}
			received := Output{Topic: schemas.TopicRequests, Envelope: event(t, "req-1", &schemas.RequestReceived{})}
			if err := pub.Publish(ctx, received); err != nil {
				t.Fatal(err)
			}
			// The forged chunk 0 comes first; the genuine chunks follow.
			outs := []Output{chunk(0, []byte("attacker's bytes"))}
			for i, p := range parts {
				outs = append(outs, chunk(i, p))
			}
			if err := pub.Publish(ctx, outs...); err != nil {
				t.Fatal(err)
			}
			rc, err := OpenRequestBody(ctx, cfg, schemas.RecordRef{Topic: cfg.Topic(schemas.TopicRequests), Partition: partitionOf(t, ctx, cfg, "req-1"), Offset: 0},
				"req-1", ChunkDigests(parts))
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
