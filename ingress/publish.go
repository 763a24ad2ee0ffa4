package ingress

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/jitgate/jitgate/internal/bus"
	"github.com/jitgate/jitgate/internal/session"
	"github.com/jitgate/jitgate/internal/sigv4"
	"github.com/jitgate/jitgate/schemas"
)

// requestEvent builds the request.received payload. The body is left out:
// dispatch places it inline or in chunks.
func (g *Ingress) requestEvent(c *call, sess session.Session, v *verified, now time.Time) (*schemas.RequestReceived, error) {
	op := v.op
	params, err := json.Marshal(op.Params)
	if err != nil {
		return nil, fmt.Errorf("parameters of %s.%s are not representable: %w", op.Service, op.Name, err)
	}
	// c.r.Header holds only what forwardable kept.
	headers := schemas.HeadersFrom(c.r.Header, func(name string) bool { return stripHeaders[strings.ToLower(name)] })
	signedHeaders := slices.DeleteFunc(slices.Clone(v.res.SignedHeaders), func(h string) bool { return stripHeaders[h] })
	return &schemas.RequestReceived{
		ReplyTo:     g.cfg.Replica,
		Principal:   schemas.Principal{Subject: sess.Principal.Subject, Issuer: sess.Principal.Issuer, Groups: sess.Principal.Groups},
		SessionID:   sess.AccessKeyID,
		Role:        sess.RoleARN,
		Source:      clientIP(c.r),
		Service:     op.Service,
		Operation:   op.Name,
		Protocol:    op.Protocol,
		SigningName: op.SigningName,
		Region:      v.res.Region,
		ReadOnly:    op.ReadOnly,
		// The token's value comes from the bytes forwarded as they are:
		// an executor that sends them again sends the same token.
		IdempotencyToken: op.IdempotencyToken,
		Params:           params,
		HTTP: schemas.HTTPRequest{
			Method:        c.r.Method,
			Path:          op.Path,
			RawQuery:      sigv4.StripPresign(c.r.URL.RawQuery),
			Headers:       headers,
			SignedHeaders: signedHeaders,
			BodySize:      v.body.size,
		},
		Deadline: now.Add(g.cfg.Wait),
	}, nil
}

// stripHeaders never travel past the ingress: the executor re-signs, and
// credentials do not belong in Kafka.
var stripHeaders = map[string]bool{
	"authorization": true, "x-amz-date": true, "x-amz-security-token": true,
	"connection": true, "keep-alive": true, "proxy-authorization": true, "te": true,
	"trailer": true, "transfer-encoding": true, "upgrade": true, "expect": true,
}

// unsignedForwarded are the only headers forwarded without being signed.
// None of them changes what AWS runs: the SDK's identification and retry
// bookkeeping, the trace id, and the body's length (the executor sends the
// body it forwards with its own length). Everything else unsigned (a
// browser's Range, Accept or Cookie beside a presigned URL, a Content-Type
// or Content-MD5 nobody signed) is dropped: the executor re-signs what it
// gets, so forwarding an unsigned header would make the gateway sign for
// the agent what the agent never signed.
var unsignedForwarded = map[string]bool{
	"user-agent": true, "x-amzn-trace-id": true, "amz-sdk-invocation-id": true, "amz-sdk-request": true,
	"content-length": true,
}

// forwardable keeps the headers the agent signed and unsignedForwarded.
func forwardable(h http.Header, signed []string) http.Header {
	out := make(http.Header, len(signed)+len(unsignedForwarded))
	for name, vs := range h {
		lower := strings.ToLower(name)
		if unsignedForwarded[lower] || slices.Contains(signed, lower) {
			out[name] = vs
		}
	}
	return out
}

func clientIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// dispatch publishes the request (with its body inline, or naming the
// chunks already published) and the signature.seen that makes other
// replicas refuse its replay, waits for the outcome and answers the agent.
func (g *Ingress) dispatch(c *call, ev *schemas.RequestReceived, body requestBody, seen *claimedSignature) {
	ctx, cancel := context.WithDeadline(c.r.Context(), ev.Deadline)
	defer cancel()
	if len(body.inline) > bus.ChunkSize {
		var err error
		if body, err = g.publishChunks(c, body.inline); err != nil {
			g.log.Error("could not publish a request body", "request_id", c.id, "err", err)
			g.refuseAtDoor(c, schemas.OutcomeUnavailable, "could not publish the call's body: "+err.Error(), unavailable(c, "could not queue the call"))
			return
		}
	}
	ev.HTTP.BodySize = body.size
	if len(body.digests) > 0 {
		ev.HTTP.BodyChunks, ev.HTTP.ChunkSHA256, ev.HTTP.ChunksFrom = len(body.digests), body.digests, body.from
	} else {
		ev.HTTP.Body = body.inline
	}
	env, err := g.sealed(c.id, ev)
	if err != nil {
		g.failInternally(c, err)
		return
	}
	outs := []bus.Output{{Topic: schemas.TopicRequests, Envelope: env}}
	outs = seen.outputs(outs)
	replies, done := g.replies.wait(c.id)
	defer done()
	if err := g.deps.Publisher.Publish(ctx, outs...); err != nil {
		g.log.Error("could not publish request", "request_id", c.id, "err", err)
		answer := unavailable(c, "could not queue the call")
		if bus.MayHaveLanded(err) {
			// The broker may have taken the request after all, and then it
			// runs before its deadline like any other: "not queued" would
			// be a lie. Answer as to a wait that ran out.
			answer = g.noOutcome(c)
		}
		g.refuseAtDoor(c, schemas.OutcomeUnavailable, "could not publish the call: "+err.Error(), answer)
		return
	}
	g.log.Info("request", "request_id", c.id, "principal", ev.Principal.Subject, "call", ev.Service+"."+ev.Operation, "region", ev.Region)
	g.answer(ctx, c, replies)
}
