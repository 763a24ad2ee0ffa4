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

// ChunkSize is the data carried by one body chunk event; the chunk record
// form (raw data, a few headers) stays well under MaxRecordBytes.
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

// OpenRequestBody streams, in order and without holding them all in
// memory, the request.body_chunk events of requestID from the record at
// from on (inclusive): the ingress publishes a body's chunks before the
// request.received that names them, and names the first one's record
// (HTTPRequest.ChunksFrom). digests are the hex SHA-256 of each chunk's
// data (from the sealed request, HTTPRequest.ChunkSHA256): a chunk record
// whose data does not match is skipped, as are records of other requests
// on the same partition, so a record someone else wrote cannot change the
// body.
func OpenRequestBody(ctx context.Context, cfg Config, from schemas.RecordRef, requestID string, digests []string) (io.ReadCloser, error) {
	if len(digests) == 0 {
		return nil, fmt.Errorf("bus: request %s: a chunked body needs the digests of its chunks", requestID)
	}
	from.Offset--
	return openBody(ctx, cfg, from, requestID, schemas.TypeRequestBodyChunk, len(digests), digests)
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
// must rewrite this way). chunks < 0 (a body of unknown length) reads up
// to the chunk marked Last.
func OpenResponseBody(ctx context.Context, cfg Config, ref schemas.RecordRef, requestID string, chunks int) (io.ReadCloser, error) {
	return openBody(ctx, cfg, ref, requestID, schemas.TypeResponseBodyChunk, chunks, nil)
}

// openBody streams chunks events of chunkType for requestID after ref.
// With digests, only chunks whose data matches digests[seq] count. chunks
// < 0 reads up to the chunk marked Last.
//
// A goroutine fetches, decodes and checks chunks up to bodyReadAhead ahead
// of the reader, so that hashing a chunk overlaps with the reader's
// writing the one before (the executor's upload upstream); fetches ask
// for bodyFetchBytes, several chunks, per round trip.
func openBody(ctx context.Context, cfg Config, ref schemas.RecordRef, requestID string, chunkType schemas.Type, chunks int, digests []string) (io.ReadCloser, error) {
	cfg.setDefaults()
	cl, err := kgo.NewClient(cfg.clientOpts(kgo.ConsumePartitions(map[string]map[int32]kgo.Offset{
		ref.Topic: {ref.Partition: kgo.NewOffset().At(ref.Offset + 1)},
	}), kgo.FetchMaxPartitionBytes(bodyFetchBytes), kgo.FetchMaxBytes(bodyFetchBytes))...)
	if err != nil {
		return nil, fmt.Errorf("bus: open request body: %w", err)
	}
	ctx, cancel := context.WithCancel(ctx)
	br := &bodyReader{parts: make(chan bodyPart, bodyReadAhead), ctx: ctx, cancel: cancel}
	go func() {
		defer close(br.parts)
		defer cl.Close()
		send := func(p bodyPart) bool {
			select {
			case br.parts <- p:
				return true
			case <-ctx.Done():
				return false
			}
		}
		fail := func(err error) { send(bodyPart{err: err}) }
		seq, last := 0, false
		more := func() bool { return !last && (chunks < 0 || seq < chunks) }
		for more() {
			fetches := cl.PollFetches(ctx)
			if err := ctx.Err(); err != nil {
				return // the reader closed, or gets ctx's error from Read
			}
			var ferr error
			fetches.EachError(func(_ string, _ int32, err error) { ferr = err })
			if ferr != nil {
				fail(fmt.Errorf("bus: read body chunks of %s: %w", requestID, ferr))
				return
			}
			iter := fetches.RecordIter()
			for !iter.Done() && more() {
				r := iter.Next()
				if header(r, schemas.HeaderRequestID) != requestID || header(r, schemas.HeaderType) != string(chunkType) {
					continue
				}
				c, err := readChunk(r)
				if err != nil {
					if digests != nil {
						continue // not a chunk the sealed request can name
					}
					fail(err)
					return
				}
				if digests != nil {
					if sum := sha256.Sum256(c.data); c.seq != seq || hex.EncodeToString(sum[:]) != digests[seq] {
						continue // not the chunk the sealed request names
					}
				}
				if c.seq != seq {
					fail(fmt.Errorf("bus: body chunk %d of %s arrived as %d", seq, requestID, c.seq))
					return
				}
				if c.failed != "" {
					fail(fmt.Errorf("%w: %s", ErrBodyFailed, c.failed))
					return
				}
				if !send(bodyPart{data: c.data}) {
					return
				}
				seq++
				last = c.last
			}
		}
		send(bodyPart{err: io.EOF})
	}()
	return br, nil
}

// bodyFetchBytes is what one fetch of a body reader asks for: four
// chunks, so a round trip to the broker brings several (the default, 1
// MiB, brought one or two) while a reader holds little.
const bodyFetchBytes = 4 * ChunkSize

// bodyReadAhead bounds the chunks a body reader holds checked and ready
// beyond the one being read.
const bodyReadAhead = 2

// bodyPart is one checked chunk's data, or what ends the body: io.EOF
// once every chunk was handed out, or the error.
type bodyPart struct {
	data []byte
	err  error
}

// bodyReader hands out the chunks openBody's goroutine checked, in order.
type bodyReader struct {
	parts  chan bodyPart
	cur    []byte
	err    error
	ctx    context.Context
	cancel context.CancelFunc
}

func (b *bodyReader) Read(p []byte) (int, error) {
	for len(b.cur) == 0 {
		if b.err != nil {
			return 0, b.err
		}
		part, ok := <-b.parts
		switch {
		case !ok:
			// The goroutine stopped without reaching the end (ctx ended):
			// never a clean EOF, or a cut body would pass for whole.
			b.err = b.ctx.Err()
			if b.err == nil {
				b.err = io.ErrUnexpectedEOF
			}
		case part.err != nil:
			b.err = part.err
		default:
			b.cur = part.data
		}
	}
	n := copy(p, b.cur)
	b.cur = b.cur[n:]
	return n, nil
}

// Close stops the goroutine; a Read after Close reports the body closed.
func (b *bodyReader) Close() error {
	b.cancel()
	if b.err == nil {
		b.err = io.ErrClosedPipe
	}
	b.cur = nil
	return nil
}

// readChunk decodes a chunk record from its headers; the data is the
// record's value, unread until the digest check.
func readChunk(r *kgo.Record) (chunk, error) {
	env, err := schemas.DecodeChunk(recordHeaders(r), r.Value)
	if err != nil {
		return chunk{}, fmt.Errorf("bus: undecodable body chunk at %s/%d@%d: %w", r.Topic, r.Partition, r.Offset, err)
	}
	p, err := env.Decode()
	if err != nil {
		return chunk{}, err
	}
	switch c := p.(type) {
	case *schemas.RequestBodyChunk:
		return chunk{seq: c.Seq, data: c.Data, last: c.Last}, nil
	case *schemas.ResponseBodyChunk:
		return chunk{seq: c.Seq, data: c.Data, last: c.Last, failed: c.Error}, nil
	}
	return chunk{}, fmt.Errorf("bus: %s is not a body chunk", env.Type)
}

// chunk is one body chunk of either type.
type chunk struct {
	seq    int
	data   []byte
	last   bool
	failed string // ResponseBodyChunk.Error
}
