package sigv4

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"net/http"
	"strconv"
	"strings"
)

// aws-chunked framing (Content-Encoding: aws-chunked), as S3 clients send it:
//
//	hex-size[;chunk-signature=sig]\r\n data \r\n
//	...
//	0[;chunk-signature=sig]\r\n
//	name:value\r\n ... (trailers, optional)
//	\r\n
//
// Unsigned bodies carry no chunk-signature; signed-trailer bodies end their
// trailers with x-amz-trailer-signature:sig.
//
// chunkReader decodes the framing as the body is read, so a body of any
// size passes through a buffer of fixed size: chunk signatures are computed
// over each chunk's SHA-256, trailing checksums incrementally.

const (
	maxChunkLine    = 4096 // longest chunk header or trailer line accepted
	maxTrailerLines = 64
	trailerSigName  = "x-amz-trailer-signature"
	// chunkReadBuffer is the decoder's read buffer; it must hold a whole
	// chunk header or trailer line.
	chunkReadBuffer = 64 << 10
)

// trailerField is one trailing header; name is lowercase, value trimmed.
type trailerField struct{ name, value string }

// chunkChain checks chunk signatures chained from the request signature.
type chunkChain struct {
	s       *signer
	prev    string // the previous chunk's signature (the seed first)
	trailer bool   // the mode signs trailers too
	sum     hash.Hash
	sig     string // the current chunk's chunk-signature
}

// chunkReader yields the decoded payload of an aws-chunked body. Its bytes
// are unverified until Read returns io.EOF: a chunk whose signature does
// not match, a malformed frame, a wrong trailer signature or checksum, or a
// decoded length other than the declared one ends the stream in an error
// instead. Errors wrap the package's sentinels, as Verify's do.
type chunkReader struct {
	src   *bufio.Reader
	chain *chunkChain // nil: chunk signatures are not checked
	sums  *checksums  // nil: trailing checksums are not checked
	// declaredLen is x-amz-decoded-content-length, -1 when absent.
	declaredLen int64

	left             uint64 // bytes of the current chunk not yet read
	inChunk          bool
	chunks           int    // chunks seen, the zero-length one included
	size             uint64 // decoded bytes so far
	trailers         []trailerField
	trailerSignature string
	err              error // sticky; io.EOF once the body verified
}

func newChunkReader(body io.Reader) *chunkReader {
	return &chunkReader{src: bufio.NewReaderSize(body, chunkReadBuffer), declaredLen: -1}
}

// Read implements io.Reader.
func (c *chunkReader) Read(p []byte) (int, error) {
	for c.err == nil {
		if !c.inChunk {
			if err := c.nextChunk(); err != nil {
				c.err = err
			}
			continue
		}
		if len(p) == 0 {
			return 0, nil
		}
		want := len(p)
		if uint64(want) > c.left {
			want = int(c.left)
		}
		n, err := c.src.Read(p[:want])
		c.left -= uint64(n)
		c.size += uint64(n)
		if c.chain != nil {
			c.chain.sum.Write(p[:n])
		}
		if c.sums != nil {
			c.sums.write(p[:n])
		}
		switch {
		case c.left == 0:
			c.err = c.endChunk()
		case errors.Is(err, io.EOF):
			c.err = fmt.Errorf("%w: chunk %d is larger than the remaining body", ErrMalformedChunkedBody, c.chunks-1)
		case err != nil:
			c.err = err // the transport's error, e.g. a body cut off
		}
		if n > 0 {
			return n, nil
		}
	}
	return 0, c.err
}

// nextChunk reads a chunk header; after the zero-length chunk it reads the
// trailers and runs the final checks (io.EOF when they pass).
func (c *chunkReader) nextChunk() error {
	line, err := c.line()
	if err != nil {
		return fmt.Errorf("%w: chunk %d header: %w", ErrMalformedChunkedBody, c.chunks, err)
	}
	size, sig, err := parseChunkHeader(line)
	if err != nil {
		return fmt.Errorf("%w: chunk %d: %w", ErrMalformedChunkedBody, c.chunks, err)
	}
	c.chunks++
	if c.chain != nil {
		if sig == "" {
			return fmt.Errorf("%w: chunk %d has no chunk-signature", ErrMalformedChunkedBody, c.chunks-1)
		}
		c.chain.sum.Reset()
		c.chain.sig = sig
	}
	if size > 0 {
		c.left, c.inChunk = size, true
		return nil
	}
	if err := c.checkChunkSignature(); err != nil {
		return err
	}
	if err := c.readTrailers(); err != nil {
		return err
	}
	if err := c.finish(); err != nil {
		return err
	}
	return io.EOF
}

// endChunk checks the CRLF after a chunk's data and its signature.
func (c *chunkReader) endChunk() error {
	c.inChunk = false
	var crlf [2]byte
	if _, err := io.ReadFull(c.src, crlf[:]); err != nil || crlf != [2]byte{'\r', '\n'} {
		if err != nil && !errors.Is(err, io.EOF) && !errors.Is(err, io.ErrUnexpectedEOF) {
			return err
		}
		return fmt.Errorf("%w: chunk %d is not followed by CRLF", ErrMalformedChunkedBody, c.chunks-1)
	}
	return c.checkChunkSignature()
}

func (c *chunkReader) checkChunkSignature() error {
	if c.chain == nil {
		return nil
	}
	want := c.chain.s.sign("AWS4-HMAC-SHA256-PAYLOAD", c.chain.prev, emptySHA256, hex.EncodeToString(c.chain.sum.Sum(nil)))
	if !equalSignature(c.chain.sig, want) {
		return fmt.Errorf("%w: chunk %d", ErrSignatureMismatch, c.chunks-1)
	}
	c.chain.prev = want
	return nil
}

// readTrailers reads the lines after the zero-length chunk. A body that
// ends right after "0\r\n" has none.
func (c *chunkReader) readTrailers() error {
	if _, err := c.src.Peek(1); errors.Is(err, io.EOF) {
		return nil
	} else if err != nil {
		return err
	}
	for {
		line, err := c.line()
		if err != nil {
			return fmt.Errorf("%w: trailer: %w", ErrMalformedChunkedBody, err)
		}
		if len(line) == 0 {
			break
		}
		if len(c.trailers) == maxTrailerLines || c.trailerSignature != "" {
			return fmt.Errorf("%w: too many trailers, or a trailer after the trailer signature", ErrMalformedChunkedBody)
		}
		name, value, ok := strings.Cut(string(line), ":")
		name = strings.ToLower(strings.TrimSpace(name))
		if !ok || name == "" || !isToken(name) {
			return fmt.Errorf("%w: trailer line is not name:value", ErrMalformedChunkedBody)
		}
		value = strings.TrimSpace(value)
		if name == trailerSigName {
			if len(value) != 64 || !isHex(value) {
				return fmt.Errorf("%w: trailer signature must be 64 hex digits", ErrMalformedChunkedBody)
			}
			c.trailerSignature = strings.ToLower(value)
			continue
		}
		c.trailers = append(c.trailers, trailerField{name, value})
	}
	n, _ := io.Copy(io.Discard, io.LimitReader(c.src, 1<<10))
	if n != 0 {
		return fmt.Errorf("%w: bytes after the trailers", ErrMalformedChunkedBody)
	}
	return nil
}

// finish runs the checks that need the whole body: the trailer signature,
// the decoded length, the trailing checksums.
func (c *chunkReader) finish() error {
	if c.chain != nil {
		if err := c.checkTrailerSignature(); err != nil {
			return err
		}
	}
	if c.declaredLen >= 0 && uint64(c.declaredLen) != c.size {
		return fmt.Errorf("%w: header says %d, body has %d bytes", ErrDecodedLengthMismatch, c.declaredLen, c.size)
	}
	if c.sums != nil {
		return c.sums.check(c.trailers)
	}
	return nil
}

func (c *chunkReader) checkTrailerSignature() error {
	if !c.chain.trailer {
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
	if !equalSignature(c.trailerSignature, c.chain.s.trailerSignature(c.chain.prev, []byte(canon.String()))) {
		return fmt.Errorf("%w: trailer", ErrSignatureMismatch)
	}
	return nil
}

// header returns the trailers (without the trailer signature) as a header.
func (c *chunkReader) header() http.Header {
	h := make(http.Header, len(c.trailers))
	for _, t := range c.trailers {
		h.Add(t.name, t.value)
	}
	return h
}

// line reads up to the next CRLF, at most maxChunkLine bytes.
func (c *chunkReader) line() ([]byte, error) {
	b, err := c.src.ReadSlice('\n')
	switch {
	case errors.Is(err, bufio.ErrBufferFull) || len(b) > maxChunkLine+2:
		return nil, fmt.Errorf("line longer than %d bytes", maxChunkLine)
	case errors.Is(err, io.EOF):
		return nil, fmt.Errorf("truncated: no CRLF")
	case err != nil:
		return nil, err
	case !bytes.HasSuffix(b, []byte("\r\n")):
		return nil, fmt.Errorf("line does not end in CRLF")
	}
	return b[:len(b)-2], nil
}

// DecodeAWSChunked decodes an aws-chunked body into its payload and its
// trailing headers (for example X-Amz-Checksum-Crc32). Chunk signatures and
// the trailer signature are neither checked nor returned here: Verify does
// that. Errors wrap ErrMalformedChunkedBody.
func DecodeAWSChunked(body []byte) (payload []byte, trailers http.Header, err error) {
	c := newChunkReader(bytes.NewReader(body))
	payload, err = io.ReadAll(c)
	if err != nil {
		return nil, nil, err
	}
	if payload == nil {
		payload = []byte{}
	}
	return payload, c.header(), nil
}

// parseChunkHeader parses "hex-size[;name=value]...". The only extension
// understood is chunk-signature; others are ignored.
func parseChunkHeader(line []byte) (size uint64, signature string, err error) {
	s := string(line)
	sz, exts, _ := strings.Cut(s, ";")
	sz = strings.TrimSpace(sz)
	if sz == "" || len(sz) > 16 || !isHex(sz) {
		return 0, "", fmt.Errorf("size %q is not hex", truncate(sz, 20))
	}
	size, err = strconv.ParseUint(sz, 16, 64)
	if err != nil {
		return 0, "", fmt.Errorf("size %q is not hex", truncate(sz, 20))
	}
	for ext := range strings.SplitSeq(exts, ";") {
		name, value, _ := strings.Cut(ext, "=")
		if strings.TrimSpace(name) != "chunk-signature" {
			continue
		}
		value = strings.TrimSpace(value)
		if signature != "" || len(value) != 64 || !isHex(value) {
			return 0, "", fmt.Errorf("bad chunk-signature")
		}
		signature = strings.ToLower(value)
	}
	return size, signature, nil
}

// newChunkChain starts a chain of chunk signatures at seed.
func newChunkChain(s *signer, seed string, trailer bool) *chunkChain {
	return &chunkChain{s: s, prev: seed, trailer: trailer, sum: sha256.New()}
}
