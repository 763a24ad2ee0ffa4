package executor

import (
	"fmt"
	"io"
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

// readResponse reads status, headers (sorted by name) and body, up to max
// body bytes.
func readResponse(resp *http.Response, method string, max int64) (schemas.HTTPResponse, []byte, error) {
	body, err := io.ReadAll(io.LimitReader(resp.Body, max+1))
	if err != nil {
		return schemas.HTTPResponse{}, nil, fmt.Errorf("executor: read upstream response: %w", err)
	}
	if int64(len(body)) > max {
		return schemas.HTTPResponse{}, nil, fmt.Errorf("%w (%d bytes)", ErrResponseTooLarge, max)
	}
	hr := schemas.HTTPResponse{Status: resp.StatusCode, BodySize: int64(len(body)),
		Headers: schemas.HeadersFrom(resp.Header, func(name string) bool { return hopByHop[name] })}
	if method == http.MethodHead && resp.Header.Get("Content-Length") == "" && resp.ContentLength >= 0 {
		// A HEAD answer's Content-Length describes the object: keep it.
		hr.Headers = append(hr.Headers, schemas.Header{Name: "Content-Length", Value: strconv.FormatInt(resp.ContentLength, 10)})
	}
	return hr, body, nil
}

// finished builds execution.finished and, for bodies over MaxInlineBody,
// the response.body_chunk events that follow it.
func (e *Executor) finished(id string, d *schemas.DecisionMade, hr schemas.HTTPResponse, body []byte, took time.Duration) ([]bus.Output, error) {
	var chunks [][]byte
	if len(body) > e.cfg.MaxInlineBody {
		chunks = bus.Chunks(body)
		hr.BodyChunks = len(chunks)
	} else {
		hr.Body = body
	}
	fin, err := e.event(id, 0, &schemas.ExecutionFinished{
		ReplyTo:    d.Request.ReplyTo,
		Service:    d.Request.Service,
		Operation:  d.Request.Operation,
		Protocol:   d.Request.Protocol,
		Response:   hr,
		DurationMS: took.Milliseconds(),
	})
	if err != nil {
		return nil, err
	}
	outs := []bus.Output{fin}
	// The masker reads a maskable body whole and must not also pass its raw
	// chunks on: mark them.
	h := schemas.HTTPHeader(hr.Headers)
	maskable := len(chunks) > 0 && redact.Maskable(h.Get("Content-Type"), strings.Join(h.Values("Content-Encoding"), ","), d.Request.Service, d.Request.Operation)
	for i, data := range chunks {
		o, err := e.event(id, i, &schemas.ResponseBodyChunk{
			ReplyTo: d.Request.ReplyTo, Seq: i, Data: data, Last: i == len(chunks)-1, Maskable: maskable,
		})
		if err != nil {
			return nil, err
		}
		outs = append(outs, o)
	}
	return outs, nil
}
