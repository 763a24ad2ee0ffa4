package executor

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/jitgate/jitgate/executor/internal/resign"
	"github.com/jitgate/jitgate/internal/bus"
	"github.com/jitgate/jitgate/schemas"
)

// call is one committed allow decision waiting to run.
type call struct {
	e      *Executor
	id     string
	d      *schemas.DecisionMade
	target resign.Target
	// attempt is 1 for the call its decision started, 2 for the retry of
	// a call an executor crash left open (recover.go). It is part of every
	// event id the call writes (eventID).
	attempt int
	idle    *time.Timer // cancels the call after Timeout without progress
}

// progress reads through r, pushing the call's idle deadline back on
// every read that moved bytes.
func (c *call) progress(r io.Reader) io.Reader { return &progressReader{r: r, c: c} }

type progressReader struct {
	r io.Reader
	c *call
}

func (p *progressReader) Read(b []byte) (int, error) {
	n, err := p.r.Read(b)
	if n > 0 && p.c.idle != nil {
		p.c.idle.Reset(p.c.e.cfg.Timeout)
	}
	return n, err
}

// run makes the upstream call and returns execution.finished and any body
// chunks. It never returns nothing: every failure becomes an error event.
func (c *call) run(ctx context.Context) []bus.Output {
	// Timeout bounds the call's silence, not its length: every byte of
	// body sent or received pushes it back, so a large transfer that keeps
	// moving is never cut off, and a stalled one is.
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	c.idle = time.AfterFunc(c.e.cfg.Timeout, cancel)
	defer c.idle.Stop()
	begin := time.Now()
	outs, err := c.do(ctx, begin)
	if err != nil {
		c.e.log.Warn("upstream call failed", "request_id", c.id, "service", c.d.Request.Service,
			"operation", c.d.Request.Operation, "err", err)
		outs, err = c.e.failed(c.id, c.attempt, c.d, err, time.Since(begin))
		if err != nil {
			// Only a JSON encoding failure gets here; nothing sensible
			// can be published.
			c.e.log.Error("cannot encode execution.finished", "request_id", c.id, "err", err)
			return nil
		}
	}
	return outs
}

func (c *call) do(ctx context.Context, begin time.Time) ([]bus.Output, error) {
	creds, err := c.credentials(ctx)
	if err != nil {
		return nil, err
	}
	in := resign.Input{HTTP: &c.d.Request.HTTP, Target: c.target}
	if c.d.Request.HTTP.BodyChunks > 0 {
		body, hash, err := c.chunkedBody(ctx)
		if err != nil {
			return nil, err
		}
		defer body.Close()
		in.Body, in.PayloadHash = c.progress(body), hash
	}
	req, err := resign.Request(ctx, in, creds, c.e.now())
	if err != nil {
		return nil, err
	}
	resp, err := c.e.client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("upstream %s: %w", c.target.Base.Host, err)
	}
	defer resp.Body.Close()
	resp.Body = io.NopCloser(c.progress(resp.Body))
	return c.respond(ctx, resp, begin)
}

// credentials picks the gateway's credentials or an assumed role's.
func (c *call) credentials(ctx context.Context) (aws.Credentials, error) {
	p := c.e.deps.Credentials
	if role := roleFor(c.e.cfg, c.d); role != "" {
		rp, err := c.e.roles.provider(ctx, role)
		if err != nil {
			return aws.Credentials{}, err
		}
		p = rp
	}
	creds, err := p.Retrieve(ctx)
	if err != nil {
		return aws.Credentials{}, fmt.Errorf("executor: credentials: %w", err)
	}
	return creds, nil
}

// chunkedBody opens a chunked request body from the requests topic. S3
// accepts UNSIGNED-PAYLOAD; other services need the hash, so the body is
// streamed once to hash it and opened again to send it.
func (c *call) chunkedBody(ctx context.Context) (io.ReadCloser, string, error) {
	h := &c.d.Request.HTTP
	if c.d.Body == nil {
		return nil, "", ErrNoBodyRef
	}
	if len(h.ChunkSHA256) != h.BodyChunks {
		return nil, "", fmt.Errorf("%w: the request names %d chunk digests for %d chunks", ErrNoBodyRef, len(h.ChunkSHA256), h.BodyChunks)
	}
	// The ingress publishes a body's chunks before the request that names
	// them and names the first one's record; older requests were followed
	// by their chunks.
	from := *c.d.Body
	from.Offset++
	if h.ChunksFrom != nil {
		from = *h.ChunksFrom
	}
	open := func() (io.ReadCloser, error) { return c.e.openBody(ctx, from, c.id, h.ChunkSHA256) }
	if resign.S3Family(c.target.SigningName) {
		rc, err := open()
		return rc, "", err
	}
	rc, err := open()
	if err != nil {
		return nil, "", err
	}
	sum := sha256.New()
	n, err := io.Copy(sum, rc)
	rc.Close()
	if err != nil {
		return nil, "", fmt.Errorf("executor: hash request body: %w", err)
	}
	if n != h.BodySize {
		return nil, "", fmt.Errorf("executor: request body is %d bytes, body_size says %d", n, h.BodySize)
	}
	rc, err = open()
	return rc, hex.EncodeToString(sum.Sum(nil)), err
}
