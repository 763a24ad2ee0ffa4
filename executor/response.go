package executor

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/jitgate/jitgate/internal/bus"
	"github.com/jitgate/jitgate/internal/redact"
	"github.com/jitgate/jitgate/schemas"
)

// hopByHop response headers are not the upstream's answer to the agent.
var hopByHop = map[string]bool{
	"Connection": true, "Keep-Alive": true, "Proxy-Authenticate": true, "Proxy-Connection": true,
	"Te": true, "Trailer": true, "Transfer-Encoding": true, "Upgrade": true,
}

// responseHead reads status and headers (sorted by name) of the
// upstream's answer.
func responseHead(resp *http.Response, method string) schemas.HTTPResponse {
	hr := schemas.HTTPResponse{Status: resp.StatusCode,
		Headers: schemas.HeadersFrom(resp.Header, func(name string) bool { return hopByHop[name] })}
	if method == http.MethodHead && resp.Header.Get("Content-Length") == "" && resp.ContentLength >= 0 {
		// A HEAD answer's Content-Length describes the object: keep it.
		hr.Headers = append(hr.Headers, schemas.Header{Name: "Content-Length", Value: strconv.FormatInt(resp.ContentLength, 10)})
	}
	return hr
}

// finishedEvent builds execution.finished for hr (whose body, if it
// streams, follows as chunks).
func (e *Executor) finishedEvent(id string, attempt int, d *schemas.DecisionMade, hr schemas.HTTPResponse, took time.Duration) (bus.Output, error) {
	fin := finishedFor(d, took)
	fin.Response = hr
	return e.attemptEvent(id, attempt, 0, fin)
}

// finishedFor is the execution.finished of d's call, taking took: the
// request's reply address and call, and its caller, whom masking rules
// scoped to principals or groups are matched against.
func finishedFor(d *schemas.DecisionMade, took time.Duration) *schemas.ExecutionFinished {
	principal := d.Request.Principal
	return &schemas.ExecutionFinished{
		ReplyTo:    d.Request.ReplyTo,
		Service:    d.Request.Service,
		Operation:  d.Request.Operation,
		Protocol:   d.Request.Protocol,
		Principal:  &principal,
		DurationMS: took.Milliseconds(),
	}
}

// finished builds execution.finished and, for bodies over MaxInlineBody
// (held whole: tests, and callers that have the body), the
// response.body_chunk events that follow it.
func (e *Executor) finished(id string, attempt int, d *schemas.DecisionMade, hr schemas.HTTPResponse, body []byte, took time.Duration) ([]bus.Output, error) {
	var chunks [][]byte
	if len(body) > e.cfg.MaxInlineBody {
		chunks = bus.Chunks(body)
		hr.BodyChunks = len(chunks)
	} else {
		hr.Body = body
	}
	fin, err := e.finishedEvent(id, attempt, d, hr, took)
	if err != nil {
		return nil, err
	}
	outs := []bus.Output{fin}
	// The masker reads a maskable body whole and must not also pass its raw
	// chunks on: mark them.
	h := schemas.HTTPHeader(hr.Headers)
	maskable := len(chunks) > 0 && redact.Maskable(h.Get("Content-Type"), strings.Join(h.Values("Content-Encoding"), ","), d.Request.Service, d.Request.Operation)
	for i, data := range chunks {
		o, err := e.attemptEvent(id, attempt, i, &schemas.ResponseBodyChunk{
			ReplyTo: d.Request.ReplyTo, Seq: i, Data: data, Last: i == len(chunks)-1, Maskable: maskable,
		})
		if err != nil {
			return nil, err
		}
		outs = append(outs, o)
	}
	return outs, nil
}
