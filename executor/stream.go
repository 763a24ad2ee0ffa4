package executor

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/jitgate/jitgate/internal/bus"
	"github.com/jitgate/jitgate/internal/redact"
	"github.com/jitgate/jitgate/schemas"
)

// eventStream is the content type of AWS event streams (Lambda
// InvokeWithResponseStream, Bedrock ConverseStream, S3
// SelectObjectContent): each frame is passed on as it arrives.
const eventStream = "application/vnd.amazon.eventstream"

// respond turns the upstream's answer into execution.finished and its body.
// A body that fits MaxInlineBody travels inside execution.finished, as the
// call's After output. A larger one streams: execution.finished first (its
// chunk count from Content-Length, or -1 when the length is unknown), then
// response.body_chunk events as the upstream's bytes arrive, published
// here on the executor's own producer a few at a time, so a body of any
// size passes through one chunk buffer. After then returns nothing.
func (c *call) respond(ctx context.Context, resp *http.Response, begin time.Time) ([]bus.Output, error) {
	hr := responseHead(resp, c.d.Request.HTTP.Method)
	h := schemas.HTTPHeader(hr.Headers)
	frames := strings.HasPrefix(strings.ToLower(strings.TrimSpace(h.Get("Content-Type"))), eventStream)
	var first []byte
	if !frames {
		var err error
		first, err = io.ReadAll(io.LimitReader(resp.Body, int64(c.e.cfg.MaxInlineBody)+1))
		if err != nil {
			return nil, fmt.Errorf("executor: read upstream response: %w", err)
		}
		if len(first) <= c.e.cfg.MaxInlineBody {
			if int64(len(first)) > c.e.cfg.MaxResponseBody {
				return nil, fmt.Errorf("%w (%d bytes)", ErrResponseTooLarge, c.e.cfg.MaxResponseBody)
			}
			hr.BodySize = int64(len(first))
			return c.e.finished(c.id, c.attempt, c.d, hr, first, time.Since(begin))
		}
	}
	maskable := redact.Maskable(h.Get("Content-Type"), strings.Join(h.Values("Content-Encoding"), ","), c.d.Request.Service, c.d.Request.Operation)
	// The masker reads a maskable body whole: bound it before a byte goes
	// out. Opaque bodies (S3 objects) stream whatever their size.
	limit := int64(-1)
	if maskable {
		limit = c.e.cfg.MaxResponseBody
		if resp.ContentLength > limit {
			return nil, fmt.Errorf("%w (%d bytes)", ErrResponseTooLarge, limit)
		}
	}
	hr.BodySize, hr.BodyChunks = -1, -1
	if resp.ContentLength >= 0 {
		hr.BodySize = resp.ContentLength
		if !frames {
			hr.BodyChunks = int((resp.ContentLength + bus.ChunkSize - 1) / bus.ChunkSize)
		}
	}
	fin, err := c.e.finishedEvent(c.id, c.attempt, c.d, hr, time.Since(begin))
	if err != nil {
		return nil, err
	}
	st := c.e.stream()
	pub := func(o bus.Output) bool {
		if err := st.Send(ctx, o); err != nil {
			c.e.log.Error("could not publish the response; the agent's call will time out", "request_id", c.id, "err", err)
			return false
		}
		return true
	}
	if !pub(fin) {
		st.Close(ctx)
		return nil, nil
	}
	s := &bodyStream{c: c, pub: pub, maskable: maskable, limit: limit, buf: make([]byte, bus.ChunkSize)}
	s.run(io.MultiReader(strings.NewReader(string(first)), resp.Body), frames, hr.BodyChunks)
	if _, err := st.Close(ctx); err != nil {
		c.e.log.Error("could not publish the response; the agent's call will time out", "request_id", c.id, "err", err)
	}
	return nil, nil
}

// bodyStream cuts the upstream's body into response.body_chunk events.
type bodyStream struct {
	c        *call
	pub      func(bus.Output) bool
	maskable bool
	limit    int64 // -1: none
	buf      []byte
	seq      int
	sent     int64
}

// run publishes body as chunks: full ChunkSize chunks (the count promised
// from Content-Length), or for event streams whatever each read returns,
// so every frame reaches the agent as soon as it arrives. The last chunk
// is marked Last; a body that breaks off, or outgrows the limit, ends in
// a chunk carrying Error instead, so that no reader takes a truncated
// body for a whole one.
func (s *bodyStream) run(body io.Reader, frames bool, promised int) {
	for {
		var n int
		var err error
		if frames {
			n, err = body.Read(s.buf)
		} else if n, err = io.ReadFull(body, s.buf); err == io.ErrUnexpectedEOF {
			err = io.EOF // a short last chunk
		}
		s.sent += int64(n)
		end := err == io.EOF
		switch {
		case s.limit >= 0 && s.sent > s.limit:
			s.fail(fmt.Sprintf("the response exceeds the %d-byte limit for bodies the gateway must mask", s.limit))
			return
		case err != nil && !end:
			s.fail("the upstream's answer broke off: " + err.Error())
			return
		case promised >= 0 && end && s.seq+boolInt(n > 0) != promised:
			s.fail(fmt.Sprintf("the upstream sent %d bytes, not the length it announced", s.sent))
			return
		case n == 0 && !end:
			continue
		}
		last := end || s.seq+1 == promised
		if !s.emit(&schemas.ResponseBodyChunk{Seq: s.seq, Data: s.buf[:n], Last: last, Maskable: s.maskable}) || last {
			return
		}
	}
}

func (s *bodyStream) emit(chunk *schemas.ResponseBodyChunk) bool {
	chunk.ReplyTo = s.c.d.Request.ReplyTo
	o, err := s.c.e.attemptEvent(s.c.id, s.c.attempt, s.seq, chunk)
	if err != nil {
		s.c.e.log.Error("cannot encode a response chunk", "request_id", s.c.id, "err", err)
		return false
	}
	s.seq++
	return s.pub(o)
}

// fail ends the body with an error chunk.
func (s *bodyStream) fail(reason string) {
	s.c.e.log.Warn("response body ended early", "request_id", s.c.id, "reason", reason)
	s.emit(&schemas.ResponseBodyChunk{Seq: s.seq, Last: true, Error: reason, Maskable: s.maskable})
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// lazyStream starts a stream on the executor's publisher, connecting it
// on first use.
func (e *Executor) lazyStream() bus.Stream {
	e.pubOnce.Do(func() { e.pub, e.pubErr = bus.NewPublisher(e.cfg.Bus) })
	if e.pubErr != nil {
		return failedStream{e.pubErr}
	}
	return e.pub.Stream()
}

// failedStream fails every Send: the publisher could not be built.
type failedStream struct{ err error }

func (f failedStream) Send(context.Context, bus.Output) error { return f.err }
func (f failedStream) Close(context.Context) (schemas.RecordRef, error) {
	return schemas.RecordRef{}, f.err
}
