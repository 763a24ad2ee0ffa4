package redact

// Content-Encoding: Body works on decoded bodies. An upstream answer can
// still arrive compressed (the agent signed an Accept-Encoding the
// executor must then keep), so the masker decodes it first; an encoding
// this file cannot read is an error and the caller withholds the body.

import (
	"bytes"
	"compress/flate"
	"compress/gzip"
	"compress/zlib"
	"errors"
	"fmt"
	"io"
	"strings"
)

// Encoded reports whether a Content-Encoding value names any coding other
// than identity, i.e. whether the body must go through [Decode] before
// [Engine.Body] can read it.
func Encoded(contentEncoding string) bool {
	for c := range strings.SplitSeq(contentEncoding, ",") {
		if c = strings.TrimSpace(c); c != "" && !strings.EqualFold(c, "identity") {
			return true
		}
	}
	return false
}

// Decode undoes the codings a Content-Encoding value lists (applied in
// order, so undone last first): gzip (x-gzip), deflate (zlib-wrapped as
// HTTP specifies, or raw as some servers send) and identity. Any other
// coding is an error wrapping [ErrUnsupportedEncoding]; a result of more
// than max bytes is [ErrDecodedTooLarge], found without holding more than
// max+1 bytes; a corrupt stream is a [*BodyError]. Decode never returns a
// body it did not fully decode.
func Decode(contentEncoding string, body []byte, max int64) ([]byte, error) {
	codings := strings.Split(contentEncoding, ",")
	for i := len(codings) - 1; i >= 0; i-- {
		c := strings.ToLower(strings.TrimSpace(codings[i]))
		var err error
		switch c {
		case "", "identity":
			continue
		case "gzip", "x-gzip":
			body, err = gunzip(body, max)
		case "deflate":
			body, err = inflate(body, max)
		default:
			return nil, fmt.Errorf("%w %q: jitgate reads gzip, deflate and identity only", ErrUnsupportedEncoding, c)
		}
		if err != nil {
			return nil, err
		}
	}
	return body, nil
}

func gunzip(body []byte, max int64) ([]byte, error) {
	zr, err := gzip.NewReader(bytes.NewReader(body))
	if err != nil {
		return nil, &BodyError{Format: "gzip", Err: err}
	}
	// Concatenated gzip members are one body (RFC 1952), as Go reads them.
	return readCapped(zr, "gzip", max)
}

func inflate(body []byte, max int64) ([]byte, error) {
	if zr, err := zlib.NewReader(bytes.NewReader(body)); err == nil {
		return readCapped(zr, "deflate", max)
	}
	return readCapped(flate.NewReader(bytes.NewReader(body)), "deflate", max)
}

// readCapped reads a decompressor to its end, refusing more than max bytes.
func readCapped(rc io.ReadCloser, format string, max int64) ([]byte, error) {
	defer rc.Close()
	out, err := io.ReadAll(io.LimitReader(rc, max+1))
	if err != nil {
		if errors.Is(err, io.EOF) {
			err = io.ErrUnexpectedEOF
		}
		return nil, &BodyError{Format: format, Offset: int64(len(out)), Err: err}
	}
	if int64(len(out)) > max {
		return nil, fmt.Errorf("%w (%d bytes)", ErrDecodedTooLarge, max)
	}
	return out, nil
}
