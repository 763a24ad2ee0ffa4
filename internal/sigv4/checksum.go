package sigv4

import (
	"bytes"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"hash"
	"hash/crc32"
	"hash/crc64"
	"strings"
)

// crc64NVMEPoly is the bit-reversed CRC-64/NVME polynomial, the form
// hash/crc64 expects.
const crc64NVMEPoly = 0x9a6c9329ac4bc9b5

// checksumPrefix starts the name of every trailing checksum.
const checksumPrefix = "x-amz-checksum-"

// newChecksum returns a hash for an x-amz-checksum-* algorithm name whose
// Sum is the raw digest S3 base64-encodes, or nil for an algorithm it does
// not know.
func newChecksum(algorithm string) hash.Hash {
	switch algorithm {
	case "crc32":
		return crc32.NewIEEE()
	case "crc32c":
		return crc32.New(crc32.MakeTable(crc32.Castagnoli))
	case "crc64nvme":
		return crc64.New(crc64.MakeTable(crc64NVMEPoly))
	case "sha1":
		return sha1.New()
	case "sha256":
		return sha256.New()
	}
	return nil
}

// checksumOf returns the raw digest of payload for an x-amz-checksum-*
// algorithm name, or ok=false for an algorithm it does not know.
func checksumOf(algorithm string, payload []byte) (sum []byte, ok bool) {
	h := newChecksum(algorithm)
	if h == nil {
		return nil, false
	}
	h.Write(payload)
	return h.Sum(nil), true
}

// checksums computes, while the body streams, the checksums of the
// trailers a request declares (X-Amz-Trailer), and checks the trailers
// once the body has ended.
type checksums struct {
	declared []string             // lowercase trailer names
	sums     map[string]hash.Hash // by trailer name, known algorithms only
}

// newChecksums prepares the checksums of the trailers named in declared
// (the X-Amz-Trailer header, comma separated).
func newChecksums(declared string) *checksums {
	c := &checksums{sums: map[string]hash.Hash{}}
	for name := range strings.SplitSeq(declared, ",") {
		name = strings.ToLower(strings.TrimSpace(name))
		if name == "" {
			continue
		}
		c.declared = append(c.declared, name)
		if alg, ok := strings.CutPrefix(name, checksumPrefix); ok {
			if h := newChecksum(alg); h != nil {
				c.sums[name] = h
			}
		}
	}
	return c
}

func (c *checksums) write(p []byte) {
	for _, h := range c.sums {
		h.Write(p)
	}
}

// check verifies that every declared trailer was sent and that every
// checksum trailer of a known algorithm matches the body. A checksum of a
// known algorithm that X-Amz-Trailer did not declare is refused: it could
// not be computed while the body streamed, and AWS requires the
// declaration too.
func (c *checksums) check(trailers []trailerField) error {
	for _, name := range c.declared {
		found := false
		for _, t := range trailers {
			found = found || t.name == name
		}
		if !found {
			return fmt.Errorf("%w: declared trailer %q was not sent", ErrMalformedChunkedBody, truncate(name, 64))
		}
	}
	for _, t := range trailers {
		alg, ok := strings.CutPrefix(t.name, checksumPrefix)
		if !ok || newChecksum(alg) == nil {
			continue
		}
		h := c.sums[t.name]
		if h == nil {
			return fmt.Errorf("%w: trailer %q is not declared in X-Amz-Trailer", ErrMalformedChunkedBody, truncate(t.name, 64))
		}
		got, err := base64.StdEncoding.DecodeString(t.value)
		if err != nil || !bytes.Equal(got, h.Sum(nil)) {
			return fmt.Errorf("%w: %s", ErrChecksumMismatch, t.name)
		}
	}
	return nil
}

// verifyTrailers checks trailers against a whole payload (see checksums).
func verifyTrailers(payload []byte, trailers []trailerField, declared string) error {
	c := newChecksums(declared)
	c.write(payload)
	return c.check(trailers)
}
