package ingress

import (
	"context"
	"fmt"
	"github.com/jitgate/jitgate/internal/holds"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/jitgate/jitgate/internal/bus"
	"github.com/jitgate/jitgate/schemas"
)

// hopByHop headers of the upstream's answer are not forwarded.
var hopByHop = map[string]bool{
	"connection": true, "keep-alive": true, "proxy-authenticate": true, "te": true,
	"trailer": true, "transfer-encoding": true, "upgrade": true, "content-length": true,
}

// answer waits for the request's response.ready and writes it, streaming
// chunked bodies as their events arrive. The agent is answered once,
// whatever arrives: the masker writes at least once, so a response.ready
// and its chunks may come twice (the same events, ids and all), and only
// the first response.ready counts; later ones, and chunks already written,
// are skipped.
func (g *Ingress) answer(ctx context.Context, c *call, replies <-chan *bus.Message) {
	var ready *schemas.ResponseReady
	for ready == nil {
		select {
		case <-ctx.Done():
			if c.r.Context().Err() != nil {
				return // the agent hung up
			}
			c.fail(g.noOutcome(c))
			return
		case m := <-replies:
			if m.Envelope.Type != schemas.TypeResponseReady {
				continue // a stray chunk of an earlier attempt
			}
			p, err := schemas.DecodeAs[*schemas.ResponseReady](m.Envelope)
			if err != nil {
				g.log.Error("undecodable reply", "request_id", c.id, "err", err)
				c.fail(apiError{http.StatusInternalServerError, "InternalFailure", "jitgate received an unreadable reply; request id " + c.id})
				return
			}
			ready = p
		}
	}
	if ready.Error != nil || ready.Response == nil {
		e := apiError{http.StatusInternalServerError, "InternalFailure", "jitgate ended the call without an answer; request id " + c.id}
		if ready.Error != nil {
			e = apiError{ready.Error.Status, ready.Error.Code, ready.Error.Message}
		}
		c.fail(e)
		return
	}
	resp := ready.Response
	h := c.w.Header()
	for _, hd := range resp.Headers {
		if !hopByHop[strings.ToLower(hd.Name)] {
			h.Add(hd.Name, hd.Value)
		}
	}
	if c.r.Method == http.MethodHead {
		// A HEAD answer has no body but tells the object's length.
		for _, hd := range resp.Headers {
			if strings.EqualFold(hd.Name, "Content-Length") {
				h.Set("Content-Length", hd.Value)
			}
		}
		c.w.WriteHeader(resp.Status)
		return
	}
	if resp.BodySize >= 0 {
		h.Set("Content-Length", strconv.FormatInt(resp.BodySize, 10))
	}
	c.w.WriteHeader(resp.Status)
	if resp.BodyChunks == 0 {
		c.w.Write(resp.Body)
		return
	}
	g.streamAnswer(c, resp, replies)
}

// streamAnswer writes a chunked body as its events arrive: the known
// number of chunks, or (BodyChunks < 0) up to the one marked Last, flushed
// one by one so that event-stream frames reach the agent as they come. The
// wait bounds the outcome, not the transfer: a large body streams for as
// long as chunks keep coming. A body that broke off upstream, or stops
// arriving, ends the connection without a clean end, so the agent's SDK
// sees a truncated body as an error, never as a whole one. A chunk whose
// sequence number was written already is a second copy (the masker wrote
// its batch again) and is skipped; one past the next is a gap, and ends
// the body.
func (g *Ingress) streamAnswer(c *call, resp *schemas.HTTPResponse, replies <-chan *bus.Message) {
	flush := func() {}
	if f, ok := c.w.(http.Flusher); ok && resp.BodyChunks < 0 {
		flush = f.Flush
	}
	idle := time.NewTimer(g.cfg.Wait)
	defer idle.Stop()
	for seq := 0; resp.BodyChunks < 0 || seq < resp.BodyChunks; {
		select {
		case <-c.r.Context().Done():
			return
		case <-idle.C:
			g.log.Warn("response body incomplete at the deadline", "request_id", c.id, "chunks", seq, "of", resp.BodyChunks)
			panic(http.ErrAbortHandler)
		case m := <-replies:
			if m.Envelope.Type != schemas.TypeResponseBodyChunk {
				continue
			}
			chunk, err := schemas.DecodeAs[*schemas.ResponseBodyChunk](m.Envelope)
			if err == nil && chunk.Seq < seq {
				continue // a second copy of a chunk already written
			}
			if err != nil || chunk.Seq != seq {
				g.log.Error("response body chunk out of order", "request_id", c.id, "want", seq, "err", err)
				panic(http.ErrAbortHandler)
			}
			if chunk.Error != "" {
				g.log.Warn("response body broke off upstream", "request_id", c.id, "chunks", seq, "reason", chunk.Error)
				panic(http.ErrAbortHandler)
			}
			if _, err := c.w.Write(chunk.Data); err != nil {
				return
			}
			flush()
			if chunk.Last {
				return
			}
			seq++
			idle.Reset(g.cfg.Wait)
		}
	}
}

// noOutcome is the answer to an agent whose wait ran out, and it says only
// what is true. A call still held when the wait ran out will not run from
// an approval given after it (the decider allows nothing after the agent's
// deadline and the executor refuses a decision past it); the approval opens
// a grant for the retry. Any other call may have started before the
// deadline: a read-only one is safe to retry; for the rest the outcome is
// unknown, with a code SDKs do not retry on their own.
func (g *Ingress) noOutcome(c *call) apiError {
	if h, ok := g.holds.Hold(c.id); ok && h.StateAt(g.deps.Now()) == holds.StatePending {
		return apiError{http.StatusForbidden, "AccessDenied", fmt.Sprintf(
			"request %s is awaiting approval by %s (rule %q) and the wait ran out: an approval from now on does not run this call, it opens a grant for the retry. Retry after it is approved.",
			c.id, strings.Join(h.Terms.Approvers, " or "), h.Rule)}
	}
	if c.readOnly {
		return apiError{http.StatusBadRequest, "RequestTimeout", fmt.Sprintf(
			"jitgate got no outcome for request %s within its wait (%s); the call only reads, so retrying it is safe", c.id, g.cfg.Wait)}
	}
	return apiError{http.StatusConflict, "OutcomeUnknown", fmt.Sprintf(
		"jitgate got no outcome for request %s within its wait (%s). If the call had not started by then it never will (a decision after the wait is refused), but it may have started: check with `jitgate audit timeline %s` before retrying a call that changes something",
		c.id, g.cfg.Wait, c.id)}
}
