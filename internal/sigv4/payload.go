package sigv4

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"strconv"
	"strings"
)

// Values of X-Amz-Content-Sha256 besides a hex SHA-256.
const (
	// UnsignedPayload: the body is not covered by the signature.
	UnsignedPayload = "UNSIGNED-PAYLOAD"
	// StreamingUnsignedPayloadTrailer: an aws-chunked body without chunk
	// signatures, usually ending in a checksum trailer (botocore over TLS).
	StreamingUnsignedPayloadTrailer = "STREAMING-UNSIGNED-PAYLOAD-TRAILER"
	// StreamingSignedPayload: an aws-chunked body whose chunks are signed in
	// a chain seeded by the request signature.
	StreamingSignedPayload = "STREAMING-AWS4-HMAC-SHA256-PAYLOAD"
	// StreamingSignedPayloadTrailer: as StreamingSignedPayload, with signed
	// trailers.
	StreamingSignedPayloadTrailer = "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER"
)

// payloadMode checks the payload mode named by hash (the last line of the
// canonical request). Streaming modes need the request's signer for their
// chunk signatures, which presigned requests do not have (s is nil).
func payloadMode(hash string, s *signer) error {
	switch {
	case hash == UnsignedPayload, len(hash) == 64 && isHex(hash):
		return nil
	case isAWSChunked(hash):
		if s == nil {
			return fmt.Errorf("%w: %s in a presigned request", ErrUnsupportedPayload, hash)
		}
		return nil
	case strings.HasPrefix(hash, "STREAMING-"):
		return fmt.Errorf("%w: %q", ErrUnsupportedPayload, truncate(hash, 64))
	default:
		return fmt.Errorf("%w: x-amz-content-sha256 must be a hex SHA-256, UNSIGNED-PAYLOAD or a STREAMING- mode", ErrUnsupportedPayload)
	}
}

func isAWSChunked(hash string) bool {
	return hash == StreamingUnsignedPayloadTrailer || hash == StreamingSignedPayload || hash == StreamingSignedPayloadTrailer
}

// hashReader passes a body through and, at its end, compares its SHA-256
// with the signed one.
type hashReader struct {
	src  io.Reader
	want string
	sum  hash.Hash
	err  error
}

func (h *hashReader) Read(p []byte) (int, error) {
	if h.err != nil {
		return 0, h.err
	}
	n, err := h.src.Read(p)
	h.sum.Write(p[:n])
	if errors.Is(err, io.EOF) {
		err = io.EOF
		if !strings.EqualFold(h.want, hex.EncodeToString(h.sum.Sum(nil))) {
			err = ErrPayloadHashMismatch
		}
	}
	h.err = err
	if n > 0 {
		return n, nil
	}
	return 0, err
}

// payloadReader applies the payload mode of p to body (see Pending.Payload).
func (p *Pending) payloadReader(body io.Reader) io.Reader {
	hash := p.res.PayloadHash
	switch {
	case hash == UnsignedPayload:
		return body
	case len(hash) == 64:
		if p.bodyHashed {
			return body // the hash came from these very bytes
		}
		return &hashReader{src: body, want: hash, sum: sha256.New()}
	}
	c := newChunkReader(body)
	if hash != StreamingUnsignedPayloadTrailer {
		c.chain = newChunkChain(p.s, p.res.Signature, hash == StreamingSignedPayloadTrailer)
	}
	c.sums = newChecksums(p.r.Header.Get("X-Amz-Trailer"))
	if v := p.r.Header.Get("X-Amz-Decoded-Content-Length"); v != "" {
		n, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
		if err != nil || n < 0 {
			return errReader{fmt.Errorf("%w: x-amz-decoded-content-length %q is not a length", ErrDecodedLengthMismatch, truncate(v, 24))}
		}
		c.declaredLen = n
	}
	p.chunked = c
	return c
}

// errReader fails every read.
type errReader struct{ err error }

func (e errReader) Read([]byte) (int, error) { return 0, e.err }

// finish applies the payload mode to a body read whole: Verify's path.
func (p *Pending) finish(body []byte) (*Result, error) {
	hash := p.res.PayloadHash
	switch {
	case hash == UnsignedPayload || len(hash) == 64 && p.bodyHashed:
		p.res.Payload = body
	case len(hash) == 64:
		if !strings.EqualFold(hash, hexSHA256(body)) {
			return nil, ErrPayloadHashMismatch
		}
		p.res.Payload = body
	default:
		data, err := io.ReadAll(p.Payload(bytes.NewReader(body)))
		if err != nil {
			return nil, err
		}
		if data == nil {
			data = []byte{}
		}
		p.res.Payload = data
	}
	return p.Result(), nil
}

// payloadModeAllowed refuses payload modes that leave the body outside the
// signature for any signing name but S3's. AWS accepts UNSIGNED-PAYLOAD and
// the STREAMING-* modes only there; elsewhere a gateway that accepted them
// would forward a body nobody signed.
func payloadModeAllowed(hash, signingName string) error {
	if len(hash) == 64 && isHex(hash) || singleEncodedPath(signingName) {
		return nil
	}
	if hash == UnsignedPayload || strings.HasPrefix(hash, "STREAMING-") {
		return fmt.Errorf("%w: %s is accepted only for S3 (signing name %q); sign the body's SHA-256 in x-amz-content-sha256",
			ErrPayloadNotSigned, truncate(hash, 64), truncate(signingName, 32))
	}
	return nil
}
