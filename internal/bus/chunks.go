package bus

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/jitgate/jitgate/schemas"
)

// ChunkSize is the payload carried by one body chunk event. With base64 and
// the envelope it stays well under MaxRecordBytes.
const ChunkSize = 512 << 10

// Chunks splits body into chunk payloads of at most ChunkSize bytes.
func Chunks(body []byte) [][]byte {
	var out [][]byte
	for len(body) > 0 {
		n := min(len(body), ChunkSize)
		out = append(out, body[:n])
		body = body[n:]
	}
	return out
}

// OpenRequestBody streams the request.body_chunk events that follow the
// request.received record at ref, in order, without holding them all in
// memory. digests are the hex SHA-256 of each chunk's data (from the sealed
// request, HTTPRequest.ChunkSHA256): a chunk record whose data does not
// match is skipped, as are records of other requests on the same
// partition, so a record someone else wrote cannot change the body.
func OpenRequestBody(ctx context.Context, cfg Config, ref schemas.RecordRef, requestID string, digests []string) (io.ReadCloser, error) {
	if len(digests) == 0 {
		return nil, fmt.Errorf("bus: request %s: a chunked body needs the digests of its chunks", requestID)
	}
	return openBody(ctx, cfg, ref, requestID, schemas.TypeRequestBodyChunk, len(digests), digests)
}

// ChunkDigests returns the hex SHA-256 of each chunk, for
// HTTPRequest.ChunkSHA256.
func ChunkDigests(chunks [][]byte) []string {
	out := make([]string, len(chunks))
	for i, c := range chunks {
		sum := sha256.Sum256(c)
		out[i] = hex.EncodeToString(sum[:])
	}
	return out
}

// OpenResponseBody streams the raw response.body_chunk events that follow
// the execution.finished record at ref (the masker reads a whole body it
// must rewrite this way).
func OpenResponseBody(ctx context.Context, cfg Config, ref schemas.RecordRef, requestID string, chunks int) (io.ReadCloser, error) {
	return openBody(ctx, cfg, ref, requestID, schemas.TypeResponseBodyChunk, chunks, nil)
}

// openBody streams chunks events of chunkType for requestID from ref on.
// With digests, only chunks whose data matches digests[seq] count.
func openBody(ctx context.Context, cfg Config, ref schemas.RecordRef, requestID string, chunkType schemas.Type, chunks int, digests []string) (io.ReadCloser, error) {
	cfg.setDefaults()
	cl, err := kgo.NewClient(cfg.clientOpts(kgo.ConsumePartitions(map[string]map[int32]kgo.Offset{
		ref.Topic: {ref.Partition: kgo.NewOffset().At(ref.Offset + 1)},
	}))...)
	if err != nil {
		return nil, fmt.Errorf("bus: open request body: %w", err)
	}
	pr, pw := io.Pipe()
	ctx, cancel := context.WithCancel(ctx)
	go func() {
		defer cl.Close()
		seq := 0
		for seq < chunks {
			fetches := cl.PollFetches(ctx)
			if err := ctx.Err(); err != nil {
				pw.CloseWithError(err)
				return
			}
			var ferr error
			fetches.EachError(func(_ string, _ int32, err error) { ferr = err })
			if ferr != nil {
				pw.CloseWithError(fmt.Errorf("bus: read body chunks of %s: %w", requestID, ferr))
				return
			}
			iter := fetches.RecordIter()
			for !iter.Done() && seq < chunks {
				r := iter.Next()
				if header(r, schemas.HeaderRequestID) != requestID || header(r, schemas.HeaderType) != string(chunkType) {
					continue
				}
				m, err := cfg.message(r)
				if err != nil {
					pw.CloseWithError(err)
					return
				}
				got, data, err := chunkData(m)
				if err != nil {
					pw.CloseWithError(err)
					return
				}
				if digests != nil {
					if sum := sha256.Sum256(data); got != seq || hex.EncodeToString(sum[:]) != digests[seq] {
						continue // not the chunk the sealed request names
					}
				}
				if got != seq {
					pw.CloseWithError(fmt.Errorf("bus: body chunk %d of %s arrived as %d", seq, requestID, got))
					return
				}
				if _, err := pw.Write(data); err != nil {
					return // reader closed
				}
				seq++
			}
		}
		pw.Close()
	}()
	return &cancelReader{PipeReader: pr, cancel: cancel}, nil
}

type cancelReader struct {
	*io.PipeReader
	cancel context.CancelFunc
}

func (c *cancelReader) Close() error {
	c.cancel()
	return c.PipeReader.Close()
}

// chunkData returns the sequence number and bytes of either chunk type.
func chunkData(m Message) (int, []byte, error) {
	p, err := m.Envelope.Decode()
	if err != nil {
		return 0, nil, err
	}
	switch c := p.(type) {
	case *schemas.RequestBodyChunk:
		return c.Seq, c.Data, nil
	case *schemas.ResponseBodyChunk:
		return c.Seq, c.Data, nil
	}
	return 0, nil, fmt.Errorf("bus: %s is not a body chunk", m.Envelope.Type)
}
