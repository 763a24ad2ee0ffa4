package sigv4

import (
	"fmt"
	"net/http"
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

// decodedPayload is the body after the payload mode has been applied.
type decodedPayload struct {
	data     []byte
	trailers http.Header // nil unless the body was aws-chunked
}

// checkPayload applies the payload mode named by hash (the last line of the
// canonical request) to body. s and seed (the verified request signature)
// are used for signed chunks; presigned requests pass a nil s.
func checkPayload(r *http.Request, body []byte, hash string, s *signer, seed string) (*decodedPayload, error) {
	switch {
	case hash == UnsignedPayload:
		return &decodedPayload{data: body}, nil
	case len(hash) == 64 && isHex(hash):
		if !strings.EqualFold(hash, hexSHA256(body)) {
			return nil, ErrPayloadHashMismatch
		}
		return &decodedPayload{data: body}, nil
	case hash == StreamingUnsignedPayloadTrailer, hash == StreamingSignedPayload, hash == StreamingSignedPayloadTrailer:
		if s == nil {
			return nil, fmt.Errorf("%w: %s in a presigned request", ErrUnsupportedPayload, hash)
		}
		return checkChunked(r, body, hash, s, seed)
	case strings.HasPrefix(hash, "STREAMING-"):
		return nil, fmt.Errorf("%w: %q", ErrUnsupportedPayload, truncate(hash, 64))
	default:
		return nil, fmt.Errorf("%w: x-amz-content-sha256 must be a hex SHA-256, UNSIGNED-PAYLOAD or a STREAMING- mode", ErrUnsupportedPayload)
	}
}

// checkChunked decodes an aws-chunked body, verifies chunk and trailer
// signatures for the signed modes, the trailing checksums, and the decoded
// length against x-amz-decoded-content-length when that header is present.
func checkChunked(r *http.Request, body []byte, mode string, s *signer, seed string) (*decodedPayload, error) {
	c, err := parseAWSChunked(body)
	if err != nil {
		return nil, err
	}
	if mode != StreamingUnsignedPayloadTrailer {
		if err := verifyChunkChain(c, s, seed, mode == StreamingSignedPayloadTrailer); err != nil {
			return nil, err
		}
	}
	if v := r.Header.Get("X-Amz-Decoded-Content-Length"); v != "" {
		n, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
		if err != nil || n != int64(c.size) {
			return nil, fmt.Errorf("%w: header says %q, body has %d bytes", ErrDecodedLengthMismatch, truncate(v, 24), c.size)
		}
	}
	data := c.payload()
	if err := verifyTrailers(data, c.trailers, r.Header.Get("X-Amz-Trailer")); err != nil {
		return nil, err
	}
	return &decodedPayload{data: data, trailers: c.header()}, nil
}

// verifyChunkChain checks each chunk signature against the chain seeded by
// the request signature and, when trailer is set, the trailer signature.
func verifyChunkChain(c *chunkedBody, s *signer, seed string, trailer bool) error {
	prev := seed
	for i, ch := range c.chunks {
		if ch.signature == "" {
			return fmt.Errorf("%w: chunk %d has no chunk-signature", ErrMalformedChunkedBody, i)
		}
		want := s.chunkSignature(prev, ch.data)
		if !equalSignature(ch.signature, want) {
			return fmt.Errorf("%w: chunk %d", ErrSignatureMismatch, i)
		}
		prev = want
	}
	if !trailer {
		if len(c.trailers) > 0 || c.trailerSignature != "" {
			return fmt.Errorf("%w: trailers sent with %s", ErrMalformedChunkedBody, StreamingSignedPayload)
		}
		return nil
	}
	if c.trailerSignature == "" {
		return fmt.Errorf("%w: no x-amz-trailer-signature", ErrMalformedChunkedBody)
	}
	var canon strings.Builder
	for _, t := range c.trailers {
		canon.WriteString(t.name + ":" + t.value + "\n")
	}
	if !equalSignature(c.trailerSignature, s.trailerSignature(prev, []byte(canon.String()))) {
		return fmt.Errorf("%w: trailer", ErrSignatureMismatch)
	}
	return nil
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
