package sigv4

import (
	"bytes"
	"errors"
	"io"
	"net/http"
	"testing"
	"testing/iotest"
	"time"
)

// streamVerify verifies r as a streaming server does: the signature before
// any body byte, then the body through Payload, in reads of the given
// shape. It returns the payload read before the reader's end and how the
// stream ended (nil for io.EOF).
func streamVerify(r *http.Request, body []byte, lookup Lookup, now time.Time, oneByte bool) (*Pending, []byte, error, error) {
	p, err := VerifyHeaders(r, lookup, now)
	if err != nil {
		return nil, nil, err, nil
	}
	var src io.Reader = bytes.NewReader(body)
	if oneByte {
		src = iotest.OneByteReader(src)
	}
	got, end := io.ReadAll(p.Payload(src))
	return p, got, nil, end
}

// Every signed request the package verifies whole verifies the same when
// its body streams, in any read size: same payload, same trailers; or,
// when the hash is not declared, VerifyHeaders says so before any body
// byte is needed.
func TestStreamingMatchesVerify(t *testing.T) {
	type vector struct {
		name   string
		r      *http.Request
		body   []byte
		lookup Lookup
		now    time.Time
	}
	var vectors []vector
	for _, c := range sdkCases {
		r, body := c.sign(t, c.creds.secret)
		vectors = append(vectors, vector{"sdk/" + c.name, r, body, testLookup, sdkSignedAt.Add(time.Minute)})
	}
	for _, trailer := range []bool{false, true} {
		r, body := parseWire(t, docChunkedWire(trailer, nil))
		vectors = append(vectors, vector{"aws doc chunked, trailer " + map[bool]string{false: "no", true: "yes"}[trailer], r, body, lookupFor(docCreds), docTime})
	}
	for _, v := range vectors {
		for _, oneByte := range []bool{false, true} {
			name := v.name
			if oneByte {
				name += "/one byte reads"
			}
			t.Run(name, func(t *testing.T) {
				want, werr := Verify(v.r, v.body, v.lookup, v.now)
				if werr != nil {
					t.Fatalf("Verify: %v", werr)
				}
				p, got, herr, end := streamVerify(v.r, v.body, v.lookup, v.now, oneByte)
				if errors.Is(herr, ErrPayloadHashNotDeclared) {
					if want.PayloadHash != hexSHA256(v.body) {
						t.Fatalf("VerifyHeaders wants the body although the hash %q was declared", want.PayloadHash)
					}
					return
				}
				if herr != nil || end != nil {
					t.Fatalf("streaming: headers %v, body %v", herr, end)
				}
				if !bytes.Equal(got, want.Payload) {
					t.Fatalf("streamed payload %q, Verify's %q", got, want.Payload)
				}
				res := p.Result()
				if res.PayloadHash != want.PayloadHash || res.Signature != want.Signature || len(res.Trailers) != len(want.Trailers) {
					t.Fatalf("streamed result %+v, Verify's %+v", res, want)
				}
			})
		}
	}
}

// A body that does not match what the signature covers is accepted up to
// its last byte and then refused: the reader never ends in io.EOF, so a
// caller that acts only on io.EOF acts on nothing.
func TestStreamingRefusesTheWrongBody(t *testing.T) {
	put := sdkCases[0] // s3 PutObject, header-signed, X-Amz-Content-Sha256 declared
	chunked := sdkCases[4]
	if put.name != "s3 put object key with spaces unicode plus equals" || chunked.payloadHash != StreamingUnsignedPayloadTrailer {
		t.Fatal("sdkCases changed order; pick the cases by name")
	}
	tests := []struct {
		name   string
		wire   func(t *testing.T) (*http.Request, []byte)
		lookup Lookup
		now    time.Time
		want   error
	}{
		{name: "fixed length, hash declared, body altered", wire: func(t *testing.T) (*http.Request, []byte) {
			r, body := put.sign(t, put.creds.secret)
			body[0] ^= 1
			return r, body
		}, want: ErrPayloadHashMismatch},
		{name: "fixed length, body cut short", wire: func(t *testing.T) (*http.Request, []byte) {
			r, body := put.sign(t, put.creds.secret)
			return r, body[:len(body)-1]
		}, want: ErrPayloadHashMismatch},
		{name: "aws-chunked unsigned trailer, checksum wrong", wire: func(t *testing.T) (*http.Request, []byte) {
			r, body := chunked.sign(t, chunked.creds.secret)
			return r, bytes.Replace(body, []byte("hello"), []byte("hellO"), 1)
		}, want: ErrChecksumMismatch},
		{name: "aws-chunked unsigned trailer, trailer missing", wire: func(t *testing.T) (*http.Request, []byte) {
			r, _ := chunked.sign(t, chunked.creds.secret)
			return r, []byte("5\r\nhello\r\n0\r\n\r\n")
		}, want: ErrMalformedChunkedBody},
		{name: "aws-chunked unsigned trailer, decoded length wrong", wire: func(t *testing.T) (*http.Request, []byte) {
			r, _ := chunked.sign(t, chunked.creds.secret)
			return r, []byte("6\r\nhello!\r\n0\r\nx-amz-checksum-crc32:NhCmhg==\r\n\r\n")
		}, want: ErrDecodedLengthMismatch},
		{name: "aws-chunked signed, second chunk altered", lookup: lookupFor(docCreds), now: docTime, wire: func(t *testing.T) (*http.Request, []byte) {
			return parseWire(t, docChunkedWire(false, func(b []byte) { b[len(b)-200] = 'b' }))
		}, want: ErrSignatureMismatch},
		{name: "aws-chunked signed trailer, trailer altered", lookup: lookupFor(docCreds), now: docTime, wire: func(t *testing.T) (*http.Request, []byte) {
			return parseWire(t, docChunkedWire(true, func(b []byte) { b[bytes.Index(b, []byte("sOO8"))] = 'X' }))
		}, want: ErrSignatureMismatch},
		{name: "aws-chunked signed, truncated before the last chunk", lookup: lookupFor(docCreds), now: docTime, wire: func(t *testing.T) (*http.Request, []byte) {
			r, body := parseWire(t, docChunkedWire(false, nil))
			return r, body[:65536+100]
		}, want: ErrMalformedChunkedBody},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			lookup, now := tt.lookup, tt.now
			if lookup == nil {
				lookup, now = testLookup, sdkSignedAt.Add(time.Minute)
			}
			r, body := tt.wire(t)
			_, _, herr, end := streamVerify(r, body, lookup, now, false)
			if herr != nil {
				t.Fatalf("the headers should verify before the body is read: %v", herr)
			}
			if !errors.Is(end, tt.want) {
				t.Fatalf("stream ended with %v, want %v", end, tt.want)
			}
			if _, err := Verify(r, body, lookup, now); !errors.Is(err, tt.want) {
				t.Fatalf("Verify: %v, want %v like the stream", err, tt.want)
			}
		})
	}
}

// A request signed over its body's SHA-256 without declaring it cannot be
// verified before the body is read: VerifyHeaders says so, and refuses
// nothing else early.
func TestVerifyHeadersNeedsADeclaredHash(t *testing.T) {
	for _, c := range sdkCases {
		if c.setContentSHA || c.presign > 0 && c.service == "s3" {
			continue
		}
		t.Run(c.name, func(t *testing.T) {
			r, _ := c.sign(t, c.creds.secret)
			if _, err := VerifyHeaders(r, testLookup, sdkSignedAt.Add(time.Minute)); !errors.Is(err, ErrPayloadHashNotDeclared) {
				t.Fatalf("VerifyHeaders = %v, want ErrPayloadHashNotDeclared", err)
			}
		})
	}
	// A wrong signature is still refused before the body: the hash is
	// declared, so nothing needs the body.
	r, _ := sdkCases[0].sign(t, "not the secret")
	if _, err := VerifyHeaders(r, testLookup, sdkSignedAt.Add(time.Minute)); !errors.Is(err, ErrSignatureMismatch) {
		t.Fatalf("VerifyHeaders with a wrong signature = %v, want ErrSignatureMismatch", err)
	}
}
