package ingress

import (
	"errors"
	"fmt"
	"io"
	"net/http"

	"github.com/jitgate/jitgate/internal/awsmodel"
	"github.com/jitgate/jitgate/internal/session"
	"github.com/jitgate/jitgate/internal/sigv4"
	"github.com/jitgate/jitgate/schemas"
)

// verified is a call whose signature, body and reading all checked out.
type verified struct {
	res  *sigv4.Result
	op   *awsmodel.Operation
	body requestBody
}

// requestBody is a verified request body: whole in memory, or already
// published as chunks (which stay inert until a sealed request names
// them).
type requestBody struct {
	inline  []byte
	size    int64
	digests []string
	from    *schemas.RecordRef
}

// verify authenticates the call and reads its body, in one of two ways.
//
// Streamed: an S3-style blob payload (PutObject, UploadPart) whose hash
// or payload mode the signature declares (X-Amz-Content-Sha256). The
// signature is checked before any body byte is read; the body is then
// verified as it streams (hash, chunk signatures, checksums, decoded
// length) and published as chunks on the way. Only once the last byte
// verified is the request itself published (dispatch): chunks of a body
// that failed are never named by a sealed request, so nothing runs them.
//
// Whole: every other body (the identifier parses it, or the signature
// covers a SHA-256 the request does not declare) is read into memory,
// bounded by MaxParsedBody, and verified before anything is published.
func (g *Ingress) verify(c *call, sess session.Session, lookup sigv4.Lookup) (*verified, bool) {
	now := g.deps.Now()
	limit := min(g.cfg.MaxParsedBody, g.cfg.MaxBody)
	p, err := sigv4.VerifyHeaders(c.r, lookup, now)
	if errors.Is(err, sigv4.ErrPayloadHashNotDeclared) {
		body, ok := g.readParsed(c, &sess, nil, limit)
		if !ok {
			return nil, false
		}
		res, err := sigv4.Verify(c.r, body, lookup, now)
		if err != nil {
			g.refuseSignature(c, sess, err)
			return nil, false
		}
		return g.identified(c, sess, res, requestBody{inline: res.Payload, size: int64(len(res.Payload))})
	}
	if err != nil {
		g.refuseSignature(c, sess, err)
		return nil, false
	}
	res := p.Result()
	svc, _, _ := awsmodel.SplitServicePath(c.r.URL.Path)
	hint := awsmodel.Hint{Service: svc, SigningName: res.SigningName, Region: res.Region, SignedHeaders: res.SignedHeaders}
	if op, err := g.deps.Models.Identify(c.r, nil, hint); err == nil && op.BlobPayload {
		// Read the same with or without its body (see BlobPayload), so it
		// is judged before a byte of it is read.
		c.op = op
		body, ok := g.streamBody(c, sess, p)
		if !ok {
			return nil, false
		}
		return g.identified(c, sess, p.Result(), body)
	}
	payload, ok := g.readParsed(c, &sess, p.Payload, limit)
	if !ok {
		return nil, false
	}
	res = p.Result()
	res.Payload = payload
	return g.identified(c, sess, res, requestBody{inline: payload, size: int64(len(payload))})
}

// readParsed reads a body the ingress holds whole. payload, when set,
// verifies the body as it is read (Pending.Payload), so its errors may be
// signature refusals.
func (g *Ingress) readParsed(c *call, sess *session.Session, payload func(io.Reader) io.Reader, limit int64) ([]byte, bool) {
	if c.r.ContentLength > limit {
		g.refuseAtDoor(c, schemas.OutcomeRejected, fmt.Sprintf("declared body of %d bytes over the %d-byte limit for bodies read whole", c.r.ContentLength, limit), tooLargeParsed(limit))
		return nil, false
	}
	body, done, ok := g.openBody(c, limit)
	if !ok {
		return nil, false
	}
	defer done()
	if payload != nil {
		body = payload(body)
	}
	b, err := readAll(body, c.r.ContentLength)
	if err != nil {
		g.failRead(c, sess, limit, err, true)
		return nil, false
	}
	c.bodyRead = true
	return b, true
}

// failRead answers a body that could not be read or did not verify.
func (g *Ingress) failRead(c *call, sess *session.Session, limit int64, err error, parsed bool) {
	var tooBig *http.MaxBytesError
	switch {
	case payloadRefusal(err):
		s := session.Session{}
		if sess != nil {
			s = *sess
		}
		g.refuseSignature(c, s, err)
	case parsed && errors.As(err, &tooBig):
		g.refuseAtDoor(c, schemas.OutcomeRejected, fmt.Sprintf("body over the %d-byte limit for bodies read whole", limit), tooLargeParsed(limit))
	default:
		g.failBody(c, limit, err)
	}
}

// payloadRefusal reports a body that arrived whole but does not match its
// signature.
func payloadRefusal(err error) bool {
	for _, e := range []error{sigv4.ErrPayloadHashMismatch, sigv4.ErrSignatureMismatch, sigv4.ErrMalformedChunkedBody,
		sigv4.ErrChecksumMismatch, sigv4.ErrDecodedLengthMismatch} {
		if errors.Is(err, e) {
			return true
		}
	}
	return false
}

func tooLargeParsed(limit int64) apiError {
	return apiError{http.StatusRequestEntityTooLarge, "RequestEntityTooLarge", fmt.Sprintf(
		"request body exceeds the gateway's %d-byte limit for bodies it must read whole (parameters in JSON, XML, CBOR or a form, or a body whose SHA-256 is not declared in X-Amz-Content-Sha256); only S3 object uploads stream. Send a smaller request, or raise --max-parsed-body", limit)}
}

// identified identifies the verified call and keeps only the headers it
// signed (plus a few harmless unsigned ones). Identification sees every
// header first, so that one that would pick or fill the operation but was
// not signed is refused, not silently lost: what was judged is exactly
// what is forwarded.
func (g *Ingress) identified(c *call, sess session.Session, res *sigv4.Result, body requestBody) (*verified, bool) {
	svc, _, _ := awsmodel.SplitServicePath(c.r.URL.Path)
	op, err := g.deps.Models.Identify(c.r, body.inline, awsmodel.Hint{Service: svc, SigningName: res.SigningName,
		Region: res.Region, SignedHeaders: res.SignedHeaders})
	if g.refuseUnreadable(c, sess, err) {
		return nil, false
	}
	c.r.Header = forwardable(c.r.Header, res.SignedHeaders)
	if err != nil {
		// Default deny: what the gateway cannot identify it cannot judge.
		g.refuseAtDoor(c, schemas.OutcomeRejected, "not identified: "+err.Error(),
			apiError{http.StatusForbidden, "AccessDenied", fmt.Sprintf("jitgate could not identify this call, so it is denied: %v (request id %s)", err, c.id)})
		return nil, false
	}
	c.op = op
	if body.inline == nil && body.size > 0 && !op.BlobPayload {
		// Cannot happen: a streamed body was identified as a blob payload
		// before it was read. Refuse rather than judge what was not read.
		g.failInternally(c, errors.New("streamed a body it must read whole"))
		return nil, false
	}
	return &verified{res: res, op: op, body: body}, true
}
