package sigv4

import (
	"bytes"
	"fmt"
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

const (
	maxChunkLine    = 4096 // longest chunk header or trailer line accepted
	maxTrailerLines = 64
	trailerSigName  = "x-amz-trailer-signature"
)

// awsChunk is one chunk of an aws-chunked body.
type awsChunk struct {
	data      []byte
	signature string // the chunk-signature extension, "" when absent
}

// trailerField is one trailing header; name is lowercase, value trimmed.
type trailerField struct{ name, value string }

// chunkedBody is a parsed aws-chunked body.
type chunkedBody struct {
	chunks           []awsChunk // ends with the zero-length chunk
	trailers         []trailerField
	trailerSignature string // x-amz-trailer-signature, "" when absent
	size             int    // decoded length
}

// payload concatenates the chunks.
func (c *chunkedBody) payload() []byte {
	out := make([]byte, 0, c.size)
	for _, ch := range c.chunks {
		out = append(out, ch.data...)
	}
	return out
}

// header returns the trailers (without the trailer signature) as a header.
func (c *chunkedBody) header() http.Header {
	h := make(http.Header, len(c.trailers))
	for _, t := range c.trailers {
		h.Add(t.name, t.value)
	}
	return h
}

// DecodeAWSChunked decodes an aws-chunked body into its payload and its
// trailing headers (for example X-Amz-Checksum-Crc32). Chunk signatures and
// the trailer signature are neither checked nor returned here: Verify does
// that. Errors wrap ErrMalformedChunkedBody.
func DecodeAWSChunked(body []byte) (payload []byte, trailers http.Header, err error) {
	c, err := parseAWSChunked(body)
	if err != nil {
		return nil, nil, err
	}
	return c.payload(), c.header(), nil
}

// parseAWSChunked splits body into chunks and trailers.
func parseAWSChunked(body []byte) (*chunkedBody, error) {
	c := &chunkedBody{}
	rest := body
	for {
		line, r, err := cutLine(rest)
		if err != nil {
			return nil, fmt.Errorf("%w: chunk %d header: %w", ErrMalformedChunkedBody, len(c.chunks), err)
		}
		rest = r
		size, sig, err := parseChunkHeader(line)
		if err != nil {
			return nil, fmt.Errorf("%w: chunk %d: %w", ErrMalformedChunkedBody, len(c.chunks), err)
		}
		if size > uint64(len(rest)) {
			return nil, fmt.Errorf("%w: chunk %d is larger than the remaining body", ErrMalformedChunkedBody, len(c.chunks))
		}
		ch := awsChunk{data: rest[:size], signature: sig}
		c.chunks = append(c.chunks, ch)
		if size == 0 {
			break
		}
		rest = rest[size:]
		if !bytes.HasPrefix(rest, []byte("\r\n")) {
			return nil, fmt.Errorf("%w: chunk %d is not followed by CRLF", ErrMalformedChunkedBody, len(c.chunks)-1)
		}
		rest = rest[2:]
		c.size += int(size)
	}
	if len(rest) == 0 {
		return c, nil // "0\r\n" with nothing after it: no trailers
	}
	for {
		line, r, err := cutLine(rest)
		if err != nil {
			return nil, fmt.Errorf("%w: trailer: %w", ErrMalformedChunkedBody, err)
		}
		rest = r
		if len(line) == 0 {
			break
		}
		if len(c.trailers) == maxTrailerLines || c.trailerSignature != "" {
			return nil, fmt.Errorf("%w: too many trailers, or a trailer after the trailer signature", ErrMalformedChunkedBody)
		}
		name, value, ok := strings.Cut(string(line), ":")
		name = strings.ToLower(strings.TrimSpace(name))
		if !ok || name == "" || !isToken(name) {
			return nil, fmt.Errorf("%w: trailer line is not name:value", ErrMalformedChunkedBody)
		}
		value = strings.TrimSpace(value)
		if name == trailerSigName {
			if len(value) != 64 || !isHex(value) {
				return nil, fmt.Errorf("%w: trailer signature must be 64 hex digits", ErrMalformedChunkedBody)
			}
			c.trailerSignature = strings.ToLower(value)
			continue
		}
		c.trailers = append(c.trailers, trailerField{name, value})
	}
	if len(rest) != 0 {
		return nil, fmt.Errorf("%w: %d bytes after the trailers", ErrMalformedChunkedBody, len(rest))
	}
	return c, nil
}

// cutLine returns the bytes before the next CRLF and the bytes after it.
func cutLine(b []byte) (line, rest []byte, err error) {
	i := bytes.Index(b[:min(len(b), maxChunkLine+2)], []byte("\r\n"))
	if i < 0 {
		if len(b) > maxChunkLine {
			return nil, nil, fmt.Errorf("line longer than %d bytes", maxChunkLine)
		}
		return nil, nil, fmt.Errorf("truncated: no CRLF")
	}
	return b[:i], b[i+2:], nil
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
