package sigv4

import (
	"bytes"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"hash"
	"hash/crc32"
	"hash/crc64"
	"strings"
)

// crc64NVMEPoly is the bit-reversed CRC-64/NVME polynomial, the form
// hash/crc64 expects.
const crc64NVMEPoly = 0x9a6c9329ac4bc9b5

// checksumOf returns the raw digest of payload for an x-amz-checksum-*
// algorithm name, or ok=false for an algorithm it does not know.
func checksumOf(algorithm string, payload []byte) (sum []byte, ok bool) {
	var h hash.Hash
	switch algorithm {
	case "crc32":
		return binary.BigEndian.AppendUint32(nil, crc32.ChecksumIEEE(payload)), true
	case "crc32c":
		return binary.BigEndian.AppendUint32(nil, crc32.Checksum(payload, crc32.MakeTable(crc32.Castagnoli))), true
	case "crc64nvme":
		return binary.BigEndian.AppendUint64(nil, crc64.Checksum(payload, crc64.MakeTable(crc64NVMEPoly))), true
	case "sha1":
		h = sha1.New()
	case "sha256":
		h = sha256.New()
	default:
		return nil, false
	}
	h.Write(payload)
	return h.Sum(nil), true
}

// verifyTrailers checks that every trailer named in declared (the
// X-Amz-Trailer header, comma separated) was sent, and that every
// x-amz-checksum-* trailer of a known algorithm matches payload.
func verifyTrailers(payload []byte, trailers []trailerField, declared string) error {
	for name := range strings.SplitSeq(declared, ",") {
		name = strings.ToLower(strings.TrimSpace(name))
		if name == "" {
			continue
		}
		found := false
		for _, t := range trailers {
			found = found || t.name == name
		}
		if !found {
			return fmt.Errorf("%w: declared trailer %q was not sent", ErrMalformedChunkedBody, truncate(name, 64))
		}
	}
	for _, t := range trailers {
		alg, ok := strings.CutPrefix(t.name, "x-amz-checksum-")
		if !ok {
			continue
		}
		want, known := checksumOf(alg, payload)
		if !known {
			continue
		}
		got, err := base64.StdEncoding.DecodeString(t.value)
		if err != nil || !bytes.Equal(got, want) {
			return fmt.Errorf("%w: %s", ErrChecksumMismatch, t.name)
		}
	}
	return nil
}
