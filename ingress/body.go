package ingress

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"time"

	"github.com/jitgate/jitgate/schemas"
)

// errBodyTooSlow is a body that stalled or trickled below the minimum rate.
var errBodyTooSlow = errors.New("request body too slow")

// maxInitialBuffer caps what a declared Content-Length makes the ingress
// allocate before the bytes arrive.
const maxInitialBuffer = 1 << 20

// readBody reads the whole body, at most limit bytes, cutting off a body
// that stalls for BodyIdleTimeout or falls below BodyMinRate after
// BodyGrace. It answers the agent itself when it fails.
func (g *Ingress) readBody(c *call, limit int64) ([]byte, bool) {
	body, done, ok := g.openBody(c, limit)
	if !ok {
		return nil, false
	}
	defer done()
	b, err := readAll(body, c.r.ContentLength)
	if err != nil {
		g.failBody(c, limit, err)
		return nil, false
	}
	c.bodyRead = true
	return b, true
}

// openBody returns the request body bounded by limit and paced (see
// pacedBody); call done when the body has been read. It answers the agent
// itself when the declared length is already over the limit.
func (g *Ingress) openBody(c *call, limit int64) (body io.Reader, done func(), ok bool) {
	if c.r.ContentLength > limit {
		g.refuseAtDoor(c, schemas.OutcomeRejected, fmt.Sprintf("declared body of %d bytes over the %d-byte limit", c.r.ContentLength, limit), tooLarge(limit))
		return nil, nil, false
	}
	paced := &pacedBody{rc: http.NewResponseController(c.w), body: c.r.Body, start: time.Now(),
		idle: g.cfg.BodyIdleTimeout, grace: g.cfg.BodyGrace, minRate: g.cfg.BodyMinRate, log: func(n int64, after time.Duration) {
			g.log.Info("body cut off", "request_id", c.id, "source", clientIP(c.r), "read", n, "after", after.Round(time.Millisecond))
		}}
	return http.MaxBytesReader(c.w, paced, limit), paced.clear, true
}

// readAll reads r whole, growing the buffer as bytes arrive rather than as
// a declared length says.
func readAll(r io.Reader, declared int64) ([]byte, error) {
	var buf bytes.Buffer
	if declared > 0 {
		buf.Grow(int(min(declared, maxInitialBuffer)))
	}
	_, err := buf.ReadFrom(r)
	return buf.Bytes(), err
}

// failBody answers a body that could not be read: too large, too slow, or
// broken off.
func (g *Ingress) failBody(c *call, limit int64, err error) {
	var tooBig *http.MaxBytesError
	switch {
	case errors.As(err, &tooBig):
		g.refuseAtDoor(c, schemas.OutcomeRejected, fmt.Sprintf("body over the %d-byte limit", limit), tooLarge(limit))
	case errors.Is(err, errBodyTooSlow):
		g.refuseAtDoor(c, schemas.OutcomeRejected, "body too slow: cut off", apiError{http.StatusBadRequest, "RequestTimeout", fmt.Sprintf(
			"the request body arrived too slowly: jitgate needs at least %d bytes/s after %s, and no pause over %s; retry on a faster connection (request id %s)",
			g.cfg.BodyMinRate, g.cfg.BodyGrace, g.cfg.BodyIdleTimeout, c.id)})
	default:
		g.refuseAtDoor(c, schemas.OutcomeRejected, "body broken off: "+err.Error(),
			apiError{http.StatusBadRequest, "IncompleteBody", "could not read the request body: " + err.Error()})
	}
}

func tooLarge(limit int64) apiError {
	return apiError{http.StatusRequestEntityTooLarge, "RequestEntityTooLarge",
		fmt.Sprintf("request body exceeds the gateway's %d-byte limit", limit)}
}

// pacedBody sets the connection's read deadline before every read: now
// plus the idle timeout, or sooner when the minimum-rate budget (grace plus
// one second per minRate bytes read) runs out first. A deadline set through
// the ResponseController interrupts a blocked read, so a client that sends
// one byte every few seconds is cut off instead of holding the connection.
type pacedBody struct {
	rc      *http.ResponseController
	body    io.ReadCloser
	start   time.Time
	idle    time.Duration
	grace   time.Duration
	minRate int64
	n       int64
	// log reports a body cut off, once.
	log func(n int64, after time.Duration)
	// unsupported: the writer cannot set deadlines (a test recorder); only
	// the rate check between reads applies.
	unsupported bool
}

func (b *pacedBody) Read(p []byte) (int, error) {
	now := time.Now()
	deadline := now.Add(b.idle)
	if b.minRate > 0 {
		if due := b.start.Add(b.grace + time.Duration(b.n)*time.Second/time.Duration(b.minRate)); due.Before(deadline) {
			deadline = due
		}
	}
	if !deadline.After(now) {
		return 0, b.tooSlow()
	}
	if !b.unsupported {
		if err := b.rc.SetReadDeadline(deadline); errors.Is(err, http.ErrNotSupported) {
			b.unsupported = true
		}
	}
	n, err := b.body.Read(p)
	b.n += int64(n)
	if errors.Is(err, os.ErrDeadlineExceeded) {
		return n, b.tooSlow()
	}
	return n, err
}

func (b *pacedBody) tooSlow() error {
	if b.log != nil {
		b.log(b.n, time.Since(b.start))
		b.log = nil
	}
	return errBodyTooSlow
}

func (b *pacedBody) Close() error { return b.body.Close() }

// clear lifts the deadline: the server reads the connection in the
// background while the call waits, and a past deadline there would cancel
// the request's context.
func (b *pacedBody) clear() {
	if !b.unsupported {
		b.rc.SetReadDeadline(time.Time{})
	}
}
