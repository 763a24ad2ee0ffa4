package executor

import (
	"bytes"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/jitgate/jitgate/internal/bus"
	"github.com/jitgate/jitgate/schemas"
)

// pieces is a body that arrives in the given pieces, then ends with end
// (io.EOF for a clean end).
type pieces struct {
	parts [][]byte
	end   error
}

func (p *pieces) Read(b []byte) (int, error) {
	if len(p.parts) == 0 {
		return 0, p.end
	}
	n := copy(b, p.parts[0])
	if p.parts[0] = p.parts[0][n:]; len(p.parts[0]) == 0 {
		p.parts = p.parts[1:]
	}
	return n, nil
}

// Large answers stream: execution.finished first, then chunks as the
// upstream's bytes arrive, never the whole body at once; a body of unknown
// length ends at the chunk marked Last; one that breaks off or outgrows
// the masking cap ends in a chunk carrying Error, so no reader takes a
// truncated body for a whole one; event-stream frames go out as they come.
func TestResponsesStream(t *testing.T) {
	big := bytes.Repeat([]byte("0123456789abcdef"), (2*bus.ChunkSize+100)/16)
	cases := []struct {
		name       string
		cfg        func(*Config)
		header     http.Header
		length     int64 // Content-Length; -1 unknown
		body       *pieces
		wantChunks int    // in execution.finished
		wantSize   int64  // in execution.finished
		wantData   []byte // reassembled
		wantSeqs   int    // chunk events
		wantErr    string // in the last chunk
	}{
		{name: "unknown length ends at Last", header: http.Header{"Content-Type": {"application/octet-stream"}}, length: -1,
			body: &pieces{parts: [][]byte{big}, end: io.EOF}, wantChunks: -1, wantSize: -1, wantData: big, wantSeqs: 3},
		{name: "unknown length, a whole number of chunks, ends with an empty Last", header: http.Header{"Content-Type": {"application/octet-stream"}}, length: -1,
			body: &pieces{parts: [][]byte{big[:2*bus.ChunkSize]}, end: io.EOF}, wantChunks: -1, wantSize: -1, wantData: big[:2*bus.ChunkSize], wantSeqs: 3},
		{name: "known length, chunk count promised", header: http.Header{"Content-Type": {"application/octet-stream"}}, length: int64(len(big)),
			body: &pieces{parts: [][]byte{big}, end: io.EOF}, wantChunks: 3, wantSize: int64(len(big)), wantData: big, wantSeqs: 3},
		{name: "broke off part way", header: http.Header{"Content-Type": {"application/octet-stream"}}, length: int64(len(big)),
			body:       &pieces{parts: [][]byte{big[:bus.ChunkSize+10]}, end: errors.New("connection reset")},
			wantChunks: 3, wantSize: int64(len(big)), wantData: big[:bus.ChunkSize], wantSeqs: 2, wantErr: "broke off"},
		{name: "shorter than announced", header: http.Header{"Content-Type": {"application/octet-stream"}}, length: int64(len(big)),
			body:       &pieces{parts: [][]byte{big[:bus.ChunkSize+10]}, end: io.EOF},
			wantChunks: 3, wantSize: int64(len(big)), wantData: big[:bus.ChunkSize], wantSeqs: 2, wantErr: "not the length it announced"},
		{name: "maskable body over the cap, length unknown", cfg: func(c *Config) { c.MaxResponseBody = bus.ChunkSize + 1 },
			header: http.Header{"Content-Type": {"application/json"}}, length: -1, body: &pieces{parts: [][]byte{big}, end: io.EOF},
			wantChunks: -1, wantSize: -1, wantData: big[:bus.ChunkSize], wantSeqs: 2, wantErr: "limit for bodies the gateway must mask"},
		{name: "event stream frames go out as they arrive", header: http.Header{"Content-Type": {"application/vnd.amazon.eventstream"}}, length: -1,
			body: &pieces{parts: [][]byte{[]byte("frame-1"), []byte("frame-2")}, end: io.EOF}, wantChunks: -1, wantSize: -1,
			wantData: []byte("frame-1frame-2"), wantSeqs: 3},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cfg := unitConfig()
			if c.cfg != nil {
				c.cfg(&cfg)
			}
			e, f, _ := newUnit(t, cfg, Deps{})
			f.respond = func(r *http.Request) (*http.Response, error) {
				return &http.Response{StatusCode: 200, Header: c.header, Body: io.NopCloser(c.body), ContentLength: c.length,
					Request: r, ProtoMajor: 1, ProtoMinor: 1}, nil
			}
			o := run(t, e, message(t, "req-1", sealed(t, schemas.Allow, s3Request("GET", "/b/k"), nil)))
			if len(o.finished) != 1 || o.finished[0].Error != "" {
				t.Fatalf("finished %+v", o.finished)
			}
			resp := o.finished[0].Response
			if resp.BodyChunks != c.wantChunks || resp.BodySize != c.wantSize || resp.Body != nil {
				t.Fatalf("execution.finished says %d chunks, %d bytes, %d inline", resp.BodyChunks, resp.BodySize, len(resp.Body))
			}
			if o.outs[1].Envelope.Type != schemas.TypeExecutionFinished {
				t.Fatal("execution.finished does not precede its chunks")
			}
			got := []byte{}
			for i, ch := range o.chunks {
				last := i == len(o.chunks)-1
				if ch.Seq != i || ch.Last != last || ch.ReplyTo != "ingress-1" || (ch.Error != "") != (last && c.wantErr != "") {
					t.Fatalf("chunk %d: seq %d last %v error %q", i, ch.Seq, ch.Last, ch.Error)
				}
				got = append(got, ch.Data...)
			}
			if len(o.chunks) != c.wantSeqs || !bytes.Equal(got, c.wantData) {
				t.Fatalf("%d chunks carrying %d bytes, want %d carrying %d", len(o.chunks), len(got), c.wantSeqs, len(c.wantData))
			}
			if c.wantErr != "" && !strings.Contains(o.chunks[len(o.chunks)-1].Error, c.wantErr) {
				t.Fatalf("last chunk error %q, want %q", o.chunks[len(o.chunks)-1].Error, c.wantErr)
			}
		})
	}
}
