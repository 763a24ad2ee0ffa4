package redact

// Response headers that describe the body must follow a rewritten body,
// or the agent's SDK rejects the response (DynamoDB clients verify
// X-Amz-Crc32; S3 clients verify x-amz-checksum-*).

import (
	"hash/crc32"
	"net/http"
	"strconv"
	"strings"
)

// FixHeaders makes h consistent with a rewritten body; call it when
// [Result.Changed] is true:
//   - Content-Length is set to len(body);
//   - X-Amz-Crc32 (DynamoDB), when present, is recomputed as the decimal
//     CRC-32 (IEEE) of body;
//   - Content-MD5 and every x-amz-checksum-* header are dropped (SDKs skip
//     validation when they are absent);
//   - Transfer-Encoding is dropped since the length is now known.
//
// Header names are matched case-insensitively, so a non-canonical map
// works too; the headers set are written in canonical form.
//
// ETag is kept: it names the stored object or resource version, which did
// not change, and clients do not validate JSON or XML API bodies against it.
// Content-Encoding is not touched: Body works on decoded bodies, so the
// caller either removed it when decoding or must re-encode.
func FixHeaders(h http.Header, body []byte) {
	hadCRC := false
	// Keys are compared case-insensitively: headers rebuilt from events may
	// not be in canonical form.
	for k := range h {
		switch lk := strings.ToLower(k); {
		case lk == "x-amz-crc32":
			hadCRC = true
			delete(h, k)
		case lk == "content-length", lk == "content-md5", lk == "transfer-encoding",
			strings.HasPrefix(lk, "x-amz-checksum-"):
			delete(h, k)
		}
	}
	h.Set("Content-Length", strconv.Itoa(len(body)))
	if hadCRC {
		h.Set("X-Amz-Crc32", strconv.FormatUint(uint64(crc32.ChecksumIEEE(body)), 10))
	}
}
