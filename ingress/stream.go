package ingress

import (
	"bytes"
	"context"
	"io"
	"sync"

	"github.com/jitgate/jitgate/internal/bus"
	"github.com/jitgate/jitgate/internal/ids"
	"github.com/jitgate/jitgate/internal/session"
	"github.com/jitgate/jitgate/internal/sigv4"
	"github.com/jitgate/jitgate/schemas"
)

// streamBody reads a blob payload whose signature already verified over
// its headers, verifying the body as it streams, and publishes it as
// request.body_chunk events on the way, so that a body of any size passes
// through two chunk buffers and the publisher's small window. A body that
// fits one chunk stays inline. The chunks are inert: only a sealed
// request.received naming their digests (published by dispatch, after the
// last byte verified) makes them a body anyone sends upstream. Reading and
// verifying the next chunk overlaps with hashing and publishing the one
// before.
func (g *Ingress) streamBody(c *call, sess session.Session, p *sigv4.Pending) (requestBody, bool) {
	body, done, ok := g.openBody(c, g.cfg.MaxBody)
	if !ok {
		return requestBody{}, false
	}
	defer done()
	payload := p.Payload(body)
	// Three buffers: one being read into, the current one, and the one
	// before, which the chunk writer may still be hashing and handing to
	// the stream (add returns before that is done). They come from a pool
	// and go back when this returns, by when the writer is done with them
	// (close and abandon wait for it; the stream copies what it sends).
	// A body that fits one chunk (most) needs only the first.
	var bufs [3][]byte
	bufs[0] = getChunkBuf()
	defer putChunkBuf(bufs[0])
	cur, end, err := fill(payload, bufs[0])
	if err != nil {
		g.failRead(c, &sess, g.cfg.MaxBody, err, false)
		return requestBody{}, false
	}
	if end {
		c.bodyRead = true
		return requestBody{inline: bytes.Clone(cur), size: int64(len(cur))}, true
	}
	for i := 1; i < len(bufs); i++ {
		bufs[i] = getChunkBuf()
		defer putChunkBuf(bufs[i])
	}
	var w *chunkWriter
	for i := 1; ; i++ {
		next, end, err := fill(payload, bufs[i%3])
		if err != nil {
			if w != nil {
				w.abandon()
			}
			g.failRead(c, &sess, g.cfg.MaxBody, err, false)
			return requestBody{}, false
		}
		last := end && len(next) == 0
		if last && w == nil {
			// Exactly one chunk's worth: it travels inline.
			c.bodyRead = true
			return requestBody{inline: bytes.Clone(cur), size: int64(len(cur))}, true
		}
		if w == nil {
			w = g.newChunkWriter(c)
		}
		if err := w.add(cur, last); err != nil {
			return requestBody{}, g.failPublish(c, w, err)
		}
		if end && len(next) > 0 {
			if err := w.add(next, true); err != nil {
				return requestBody{}, g.failPublish(c, w, err)
			}
		}
		if end {
			break
		}
		cur = next
	}
	c.bodyRead = true
	rb, err := w.close()
	if err != nil {
		return requestBody{}, g.failPublish(c, w, err)
	}
	return rb, true
}

// chunkBufs recycles streamBody's chunk buffers. Every blob upload, even
// of a few bytes, needs them ready before it knows its size; allocated per
// call they were three zeroed 512 KiB buffers per small S3 PutObject, 5 %
// of `jitgate dev`'s CPU at 8 clients in zeroing alone plus the collector
// cycles that garbage forced. The pool keeps at most what in-flight
// uploads use, and the collector empties it when idle.
var chunkBufs = sync.Pool{New: func() any { b := make([]byte, bus.ChunkSize); return &b }}

func getChunkBuf() []byte { return *chunkBufs.Get().(*[]byte) }

func putChunkBuf(b []byte) {
	b = b[:cap(b)]
	chunkBufs.Put(&b)
}

// fill reads into buf until it is full or the payload ends. end is set
// only when the payload reader returned io.EOF itself, which for a
// verifying reader (Pending.Payload) means the whole body verified;
// anything else (a body cut short included) is an error.
func fill(r io.Reader, buf []byte) (data []byte, end bool, err error) {
	n := 0
	for n < len(buf) {
		m, err := r.Read(buf[n:])
		n += m
		if err == io.EOF {
			return buf[:n], true, nil
		}
		if err != nil {
			return nil, false, err
		}
	}
	return buf[:n], false, nil
}

func (g *Ingress) failPublish(c *call, w *chunkWriter, err error) bool {
	w.abandon()
	g.log.Error("could not publish a request body", "request_id", c.id, "err", err)
	g.refuseAtDoor(c, schemas.OutcomeUnavailable, "could not publish the call's body: "+err.Error(), unavailable(c, "could not queue the call's body"))
	return false
}

// chunkWriter publishes one body's chunks in order and records their
// digests for the sealed request. Each chunk is hashed and handed to the
// stream in the background while the caller reads the next one; one at a
// time, in order.
type chunkWriter struct {
	g       *Ingress
	c       *call
	ctx     context.Context
	cancel  context.CancelFunc
	st      bus.Stream
	digests []string
	size    int64
	// inflight reports the chunk being hashed and sent, if any.
	inflight chan chunkSent
}

// chunkSent is the outcome of publishing one chunk.
type chunkSent struct {
	digest string
	err    error
}

func (g *Ingress) newChunkWriter(c *call) *chunkWriter {
	ctx, cancel := context.WithCancel(c.r.Context())
	return &chunkWriter{g: g, c: c, ctx: ctx, cancel: cancel, st: g.deps.Publisher.Stream()}
}

// add starts publishing data as the next chunk, once the previous one is
// handed to the stream, and returns without waiting for this one: data
// must stay unchanged until the next add, close or abandon returns.
func (w *chunkWriter) add(data []byte, last bool) error {
	if err := w.wait(); err != nil {
		return err
	}
	env, err := schemas.NewEnvelope(ids.New(), w.c.id, w.g.producer, w.g.deps.Now(), &schemas.RequestBodyChunk{Seq: len(w.digests), Data: data, Last: last})
	if err != nil {
		return err
	}
	w.size += int64(len(data))
	done := make(chan chunkSent, 1)
	w.inflight = done
	go func() {
		digest := bus.ChunkDigests([][]byte{data})[0]
		// Send copies data before it returns.
		done <- chunkSent{digest: digest, err: w.st.Send(w.ctx, bus.Output{Topic: schemas.TopicBodies, Envelope: env})}
	}()
	return nil
}

// wait waits for the chunk in flight and records its digest.
func (w *chunkWriter) wait() error {
	if w.inflight == nil {
		return nil
	}
	sent := <-w.inflight
	w.inflight = nil
	if sent.err != nil {
		return sent.err
	}
	w.digests = append(w.digests, sent.digest)
	return nil
}

// close waits for every chunk to be acknowledged.
func (w *chunkWriter) close() (requestBody, error) {
	defer w.cancel()
	if err := w.wait(); err != nil {
		return requestBody{}, err
	}
	first, err := w.st.Close(w.ctx)
	if err != nil {
		return requestBody{}, err
	}
	return requestBody{size: w.size, digests: w.digests, from: &first}, nil
}

// abandon stops publishing; what was published stays inert.
func (w *chunkWriter) abandon() {
	w.cancel()
	w.wait()
	w.st.Close(w.ctx)
}

// publishChunks publishes a body held whole that is too large for one
// event, as streamBody would have.
func (g *Ingress) publishChunks(c *call, payload []byte) (requestBody, error) {
	w := g.newChunkWriter(c)
	parts := bus.Chunks(payload)
	for i, p := range parts {
		if err := w.add(p, i == len(parts)-1); err != nil {
			w.abandon()
			return requestBody{}, err
		}
	}
	rb, err := w.close()
	if err != nil {
		w.abandon()
	}
	return rb, err
}
