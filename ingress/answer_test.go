package ingress

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/jitgate/jitgate/internal/bus"
	"github.com/jitgate/jitgate/internal/ids"
	"github.com/jitgate/jitgate/schemas"
)

// The reply path through a real (embedded) broker: the gateway publishes
// request.received, a scripted pipeline answers on the responses topic
// addressed by the reply-to header, and the agent's SDK reads the answer.

const fastReplica = "ingress-fast"

// chunkedBody is what the "chunked" scenario streams.
var chunkedBody = bytes.Repeat([]byte("0123456789abcdef"), 3*1024)

// script answers by the S3 key the agent asked for.
func script(requestID string, ev *schemas.RequestReceived) []bus.Output {
	var params struct{ Key string }
	json.Unmarshal(ev.Params, &params)
	now := time.Now()
	reply := func(replyTo string, p schemas.Payload) bus.Output {
		env, err := schemas.NewEnvelope(ids.New(), requestID, "test", now, p)
		if err != nil {
			panic(err)
		}
		return bus.Output{Topic: schemas.TopicResponses, ReplyTo: replyTo, Envelope: env}
	}
	executed := func(status int, body string, headers ...schemas.Header) *schemas.ResponseReady {
		return &schemas.ResponseReady{ReplyTo: ev.ReplyTo, Outcome: schemas.OutcomeExecuted, Response: &schemas.HTTPResponse{
			Status: status, Headers: headers, Body: []byte(body), BodySize: int64(len(body)),
		}}
	}
	parts := [][]byte{chunkedBody[:10000], chunkedBody[10000:30000], chunkedBody[30000:]}
	chunksOf := func(size int64, count int, order ...int) []bus.Output {
		ready := &schemas.ResponseReady{ReplyTo: ev.ReplyTo, Outcome: schemas.OutcomeExecuted, Response: &schemas.HTTPResponse{
			Status: http.StatusOK, BodySize: size, BodyChunks: count,
			Headers: []schemas.Header{{Name: "Content-Type", Value: "application/octet-stream"}},
		}}
		outs := []bus.Output{reply(ev.ReplyTo, ready)}
		for _, i := range order {
			outs = append(outs, reply(ev.ReplyTo, &schemas.ResponseBodyChunk{ReplyTo: ev.ReplyTo, Seq: i, Data: parts[i], Last: i == len(parts)-1}))
		}
		return outs
	}
	chunks := func(order ...int) []bus.Output { return chunksOf(int64(len(chunkedBody)), len(parts), order...) }
	switch params.Key {
	case "plain":
		return []bus.Output{reply(ev.ReplyTo, executed(http.StatusPartialContent, "hello world",
			schemas.Header{Name: "Content-Type", Value: "text/plain"},
			schemas.Header{Name: "Content-Range", Value: "bytes 0-10/100"},
			schemas.Header{Name: "ETag", Value: `"abc"`},
			schemas.Header{Name: "X-Amz-Meta-Team", Value: "a"},
			schemas.Header{Name: "X-Amz-Request-Id", Value: "UPSTREAM123"},
			schemas.Header{Name: "Keep-Alive", Value: "timeout=5"},
			schemas.Header{Name: "Upgrade", Value: "h2c"},
			schemas.Header{Name: "Trailer", Value: "X-Checksum"},
			schemas.Header{Name: "Transfer-Encoding", Value: "chunked"},
			schemas.Header{Name: "Content-Length", Value: "999"},
		))}
	case "head":
		return []bus.Output{reply(ev.ReplyTo, executed(http.StatusOK, "",
			schemas.Header{Name: "Content-Length", Value: "12345"},
			schemas.Header{Name: "Content-Type", Value: "image/png"},
		))}
	case "chunked":
		return chunks(0, 1, 2)
	case "chunks out of order":
		return chunks(1, 0, 2)
	case "unknown length":
		return chunksOf(-1, -1, 0, 1, 2)
	case "broke off":
		outs := chunksOf(-1, -1, 0)
		return append(outs, reply(ev.ReplyTo, &schemas.ResponseBodyChunk{ReplyTo: ev.ReplyTo, Seq: 1, Last: true, Error: "upstream reset"}))
	// The masker writes at least once: a batch of its events may be
	// written again, the same events, whole or after a part of it landed.
	case "answer twice":
		once := reply(ev.ReplyTo, executed(http.StatusOK, "once"))
		return []bus.Output{once, once}
	case "chunks twice":
		c := chunks(0, 1, 2)
		return append(c, c...)
	case "chunks again part way":
		c := chunks(0, 1, 2)
		return append(c[:3:3], c...)
	case "unknown length again part way":
		c := chunksOf(-1, -1, 0, 1, 2)
		return append(c[:3:3], c...)
	case "stray chunk first":
		stray := reply(ev.ReplyTo, &schemas.ResponseBodyChunk{ReplyTo: ev.ReplyTo, Seq: 0, Data: []byte("stale")})
		return []bus.Output{stray, reply(ev.ReplyTo, executed(http.StatusOK, "fresh"))}
	case "other replica first":
		// Same key, same partition: the misaddressed reply is consumed first.
		wrong := executed(http.StatusOK, "wrong")
		wrong.ReplyTo = "someone-else"
		return []bus.Output{reply("someone-else", wrong), reply(ev.ReplyTo, executed(http.StatusOK, "right"))}
	case "denied":
		return []bus.Output{reply(ev.ReplyTo, &schemas.ResponseReady{ReplyTo: ev.ReplyTo, Outcome: schemas.OutcomeDenied,
			Error: &schemas.APIError{Status: http.StatusForbidden, Code: "AccessDenied", Message: "denied by rule no-prod"}})}
	case "only for another replica":
		return []bus.Output{reply("someone-else", executed(http.StatusOK, "not yours"))}
	}
	return nil // no answer: the agent's wait runs out
}

func TestAnswersThroughBroker(t *testing.T) {
	cfg := startBus(t)
	respondFromBus(t, cfg, script)
	main := newEnv(t, envOpts{bus: &cfg, wait: 20 * time.Second})
	fast := newEnv(t, envOpts{bus: &cfg, wait: 500 * time.Millisecond, replica: fastReplica})
	for _, e := range []*env{main, fast} {
		eventually(t, "readiness", func() bool { s, _ := get(t, e.url+"/readyz"); return s == http.StatusOK })
	}
	ctx := context.Background()
	mainS3 := main.s3(static(main.agentCreds("agent-1")))
	fastS3 := fast.s3(static(fast.agentCreds("agent-1")))
	getObject := func(t *testing.T, c *s3.Client, key string) (*s3.GetObjectOutput, []byte, error) {
		t.Helper()
		out, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("logs"), Key: aws.String(key)})
		if err != nil {
			return nil, nil, err
		}
		defer out.Body.Close()
		body, err := io.ReadAll(out.Body)
		return out, body, err
	}

	t.Run("response with status, headers and body", func(t *testing.T) {
		out, body, err := getObject(t, mainS3, "plain")
		if err != nil {
			t.Fatal(err)
		}
		_, status, hdr := main.rec.last()
		if status != http.StatusPartialContent || string(body) != "hello world" || aws.ToInt64(out.ContentLength) != 11 {
			t.Errorf("status %d body %q length %d", status, body, aws.ToInt64(out.ContentLength))
		}
		if aws.ToString(out.ContentType) != "text/plain" || aws.ToString(out.ETag) != `"abc"` || out.Metadata["team"] != "a" ||
			aws.ToString(out.ContentRange) != "bytes 0-10/100" || hdr.Get("X-Amz-Request-Id") != "UPSTREAM123" {
			t.Errorf("headers %v", hdr)
		}
		for _, h := range []string{"Keep-Alive", "Upgrade", "Trailer", "Transfer-Encoding"} {
			if v := hdr.Get(h); v != "" {
				t.Errorf("hop-by-hop header %s: %s forwarded", h, v)
			}
		}
	})

	t.Run("HEAD keeps the upstream Content-Length", func(t *testing.T) {
		out, err := mainS3.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String("logs"), Key: aws.String("head")})
		if err != nil {
			t.Fatal(err)
		}
		if aws.ToInt64(out.ContentLength) != 12345 || aws.ToString(out.ContentType) != "image/png" {
			t.Errorf("length %d type %q", aws.ToInt64(out.ContentLength), aws.ToString(out.ContentType))
		}
	})

	t.Run("chunked body streams in order", func(t *testing.T) {
		out, body, err := getObject(t, mainS3, "chunked")
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(body, chunkedBody) || aws.ToInt64(out.ContentLength) != int64(len(chunkedBody)) {
			t.Errorf("got %d bytes (length %d), want %d", len(body), aws.ToInt64(out.ContentLength), len(chunkedBody))
		}
	})

	t.Run("body of unknown length streams to the chunk marked Last", func(t *testing.T) {
		out, body, err := getObject(t, mainS3, "unknown length")
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(body, chunkedBody) || out.ContentLength != nil && *out.ContentLength >= 0 {
			t.Errorf("got %d bytes (length %v), want %d without a length", len(body), out.ContentLength, len(chunkedBody))
		}
	})

	t.Run("body that broke off upstream ends in an error", func(t *testing.T) {
		_, body, err := getObject(t, mainS3, "broke off")
		if err == nil {
			t.Errorf("read %d bytes without error; a body that broke off must not look complete", len(body))
		}
	})

	t.Run("chunks out of order end the body short", func(t *testing.T) {
		_, body, err := getObject(t, mainS3, "chunks out of order")
		if err == nil || bytes.Equal(body, chunkedBody) {
			t.Errorf("read %d bytes without error; a body missing its order must not look complete", len(body))
		}
	})

	// The agent is answered once when replies arrive twice.
	for key, want := range map[string][]byte{
		"answer twice":                  []byte("once"),
		"chunks twice":                  chunkedBody,
		"chunks again part way":         chunkedBody,
		"unknown length again part way": chunkedBody,
	} {
		t.Run("written once: "+key, func(t *testing.T) {
			_, body, err := getObject(t, mainS3, key)
			if err != nil || !bytes.Equal(body, want) {
				t.Errorf("got %d bytes (err %v), want the %d-byte body once", len(body), err, len(want))
			}
		})
	}

	t.Run("stray chunk before the answer is skipped", func(t *testing.T) {
		_, body, err := getObject(t, mainS3, "stray chunk first")
		if err != nil || string(body) != "fresh" {
			t.Errorf("body %q err %v", body, err)
		}
	})

	t.Run("reply addressed to another replica is ignored", func(t *testing.T) {
		_, body, err := getObject(t, mainS3, "other replica first")
		if err != nil || string(body) != "right" {
			t.Errorf("body %q err %v", body, err)
		}
	})

	t.Run("error answer", func(t *testing.T) {
		_, _, err := getObject(t, mainS3, "denied")
		checkAPIError(t, main, err, http.StatusForbidden, "AccessDenied", "denied by rule no-prod")
	})

	// A read whose wait runs out may be retried; the SDK does so itself.
	for _, key := range []string{"no answer", "only for another replica"} {
		t.Run("wait runs out: "+key, func(t *testing.T) {
			_, _, err := getObject(t, fastS3, key)
			id := checkAPIError(t, fast, err, http.StatusBadRequest, "RequestTimeout", "retrying it is safe")
			var apiErr interface{ ErrorMessage() string }
			if !errors.As(err, &apiErr) || !strings.Contains(apiErr.ErrorMessage(), "request "+id) {
				t.Errorf("message does not name request %s: %v", id, err)
			}
		})
	}
}

// TestNoOutcomeSaysOnlyWhatIsTrue: when the wait runs out, a call still
// held is described as awaiting approval, a read as safe to retry, and
// anything else as of unknown outcome, with a code SDKs do not retry.
func TestNoOutcomeSaysOnlyWhatIsTrue(t *testing.T) {
	e := newEnv(t, envOpts{})
	if err := e.g.holds.Apply(holdFixture(t, e, "req-held", time.Now().Add(time.Hour), nil).Envelope); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name     string
		c        call
		status   int
		code     string
		contains string
	}{
		{"held", call{id: "req-held"}, http.StatusForbidden, "AccessDenied", `awaiting approval by approvers (rule "prod-writes")`},
		{"read", call{id: "req-read", readOnly: true}, http.StatusBadRequest, "RequestTimeout", "retrying it is safe"},
		{"write", call{id: "req-write"}, http.StatusConflict, "OutcomeUnknown", "may have started"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := e.g.noOutcome(&tt.c)
			if got.Status != tt.status || got.Code != tt.code || !strings.Contains(got.Message, tt.contains) || !strings.Contains(got.Message, tt.c.id) {
				t.Fatalf("answer %+v", got)
			}
		})
	}
}
