package ingress

import (
	"bytes"
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"net/http"
	"strconv"
	"testing"

	"github.com/jitgate/jitgate/internal/bus"
	"github.com/jitgate/jitgate/internal/sigv4"
	"github.com/jitgate/jitgate/schemas"
)

// awsChunked frames payload as an unsigned aws-chunked body with a CRC32
// trailer (as botocore sends over TLS), in chunks of size n.
func awsChunked(payload []byte, n int, crc string) []byte {
	var b bytes.Buffer
	for rest := payload; len(rest) > 0; {
		k := min(n, len(rest))
		fmt.Fprintf(&b, "%x\r\n", k)
		b.Write(rest[:k])
		b.WriteString("\r\n")
		rest = rest[k:]
	}
	if crc == "" {
		crc = base64.StdEncoding.EncodeToString(binary.BigEndian.AppendUint32(nil, crc32.ChecksumIEEE(payload)))
	}
	b.WriteString("0\r\nx-amz-checksum-crc32:" + crc + "\r\n\r\n")
	return b.Bytes()
}

// A streamed body is published chunk by chunk while it is verified, but
// the request that makes it a call is published only once the last byte
// verified: a body that does not match its signature leaves inert chunks
// and no request.received, so nothing is judged and nothing runs.
func TestStreamedBodyMustMatchItsSignature(t *testing.T) {
	e := newEnv(t, envOpts{})
	creds := e.agentCreds("agent-1")
	e.pub.setRespond(ok(""))
	payload := make([]byte, 2*bus.ChunkSize+1000)
	for i := range payload {
		payload[i] = byte(i * 31)
	}
	other := bytes.Clone(payload)
	other[len(other)-1] ^= 1
	chunkedHeaders := map[string]string{"Content-Encoding": "aws-chunked", "X-Amz-Trailer": "x-amz-checksum-crc32",
		"X-Amz-Decoded-Content-Length": strconv.Itoa(len(payload))}
	tests := []struct {
		name string
		req  signedReq
		send []byte // the body sent, when not the one signed
		code string // "" = accepted
	}{
		{name: "fixed length, hash declared", req: signedReq{method: "PUT", path: "/logs/big.bin", service: "s3", body: payload}},
		{name: "fixed length, last byte differs from the signed hash",
			req: signedReq{method: "PUT", path: "/logs/big.bin", service: "s3", body: payload}, send: other, code: "XAmzContentSHA256Mismatch"},
		{name: "unsigned payload", req: signedReq{method: "PUT", path: "/logs/big.bin", service: "s3", body: payload, hash: sigv4.UnsignedPayload}},
		{name: "aws-chunked with a crc32 trailer", req: signedReq{method: "PUT", path: "/logs/big.bin", service: "s3",
			body: awsChunked(payload, 64<<10, ""), hash: sigv4.StreamingUnsignedPayloadTrailer, headers: chunkedHeaders}},
		{name: "aws-chunked whose trailer checksum does not match", req: signedReq{method: "PUT", path: "/logs/big.bin", service: "s3",
			body: awsChunked(other, 64<<10, base64.StdEncoding.EncodeToString(binary.BigEndian.AppendUint32(nil, crc32.ChecksumIEEE(payload)))),
			hash: sigv4.StreamingUnsignedPayloadTrailer, headers: chunkedHeaders}, code: "BadDigest"},
		{name: "aws-chunked framing broken after the first Kafka chunk", req: signedReq{method: "PUT", path: "/logs/big.bin", service: "s3",
			body: awsChunked(payload, 64<<10, ""), hash: sigv4.StreamingUnsignedPayloadTrailer, headers: chunkedHeaders},
			send: broken(awsChunked(payload, 64<<10, ""), bus.ChunkSize+100), code: "InvalidRequest"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e.pub.reset()
			req, _ := e.sign(t, creds, tt.req)
			r := req()
			if tt.send != nil {
				r.Body = readCloser(tt.send)
				r.ContentLength = int64(len(tt.send))
			}
			a := send(t, r)
			outs := e.pub.published()
			if tt.code != "" {
				if a.status != http.StatusBadRequest || a.code != tt.code {
					t.Fatalf("answer %d %s %q, want 400 %s", a.status, a.code, a.msg, tt.code)
				}
				if n := countType(outs, schemas.TypeRequestReceived); n != 0 {
					t.Fatalf("%d request.received published for a body that did not verify", n)
				}
				if len(e.pub.signatures()) != 0 {
					t.Fatal("the signature was claimed for a body that did not verify")
				}
				return
			}
			if a.status != http.StatusOK {
				t.Fatalf("answer %d %s %q", a.status, a.code, a.msg)
			}
			_, ev := e.pub.lastRequest(t)
			if ev.HTTP.BodySize != int64(len(payload)) || ev.HTTP.BodyChunks != 3 || ev.HTTP.ChunksFrom == nil {
				t.Fatalf("request: size %d, chunks %d, from %v", ev.HTTP.BodySize, ev.HTTP.BodyChunks, ev.HTTP.ChunksFrom)
			}
			var got []byte
			for _, o := range outs[:len(outs)-1] {
				c, err := schemas.DecodeAs[*schemas.RequestBodyChunk](o.Envelope)
				if err != nil {
					t.Fatal(err)
				}
				got = append(got, c.Data...)
			}
			if !bytes.Equal(got, payload) {
				t.Fatalf("chunks carry %d bytes, not the %d-byte decoded payload", len(got), len(payload))
			}
			if outs[len(outs)-1].Envelope.Type != schemas.TypeRequestReceived {
				t.Fatal("the request was not published after its chunks")
			}
		})
	}
}

// Bodies the ingress must hold whole (parameters to parse, or a hash not
// declared) are capped, with a message that says what to do.
func TestParsedBodiesAreCapped(t *testing.T) {
	e := newEnv(t, envOpts{tune: func(c *Config) { c.MaxParsedBody = 4 << 10 }})
	creds := e.agentCreds("agent-1")
	e.pub.setRespond(ok(""))
	big := bytes.Repeat([]byte("x"), 8<<10)
	tests := []struct {
		name string
		req  signedReq
		code string
	}{
		{name: "s3 DeleteObjects parses its XML", req: signedReq{method: "POST", path: "/logs?delete", service: "s3",
			body: append([]byte("<Delete><Object><Key>"), append(big, []byte("</Key></Object></Delete>")...)...)}, code: "RequestEntityTooLarge"},
		{name: "dynamodb parses its JSON", req: signedReq{method: "POST", path: "/", service: "dynamodb",
			headers: map[string]string{"X-Amz-Target": "DynamoDB_20120810.PutItem", "Content-Type": "application/x-amz-json-1.0"},
			body:    []byte(`{"TableName":"t","Item":{"id":{"S":"` + string(big) + `"}}}`)}, code: "RequestEntityTooLarge"},
		{name: "s3 PutObject streams", req: signedReq{method: "PUT", path: "/logs/k", service: "s3", body: big}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e.pub.reset()
			req, _ := e.sign(t, creds, tt.req)
			a := send(t, req())
			if tt.code == "" {
				if a.status != http.StatusOK {
					t.Fatalf("answer %d %s %q", a.status, a.code, a.msg)
				}
				return
			}
			if a.status != http.StatusRequestEntityTooLarge || a.code != tt.code || !bytes.Contains([]byte(a.msg), []byte("--max-parsed-body")) {
				t.Fatalf("answer %d %s %q", a.status, a.code, a.msg)
			}
			if n := len(e.pub.published()); n != 0 {
				t.Fatalf("%d events published", n)
			}
		})
	}
}

// broken overwrites b from byte at on, keeping its length (which the
// signature covers).
func broken(b []byte, at int) []byte {
	b = bytes.Clone(b)
	copy(b[at:], bytes.Repeat([]byte("zz"), len(b)))
	return b
}

func readCloser(b []byte) *bodyCloser { return &bodyCloser{bytes.NewReader(b)} }

type bodyCloser struct{ *bytes.Reader }

func (bodyCloser) Close() error { return nil }
