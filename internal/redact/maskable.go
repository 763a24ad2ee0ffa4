package redact

import "strings"

// Maskable reports whether the masker must read a response of this content
// type and Content-Encoding for this operation whole (to decode and mask
// it) before passing it on; other bodies can stream through unchanged.
//
// Object payloads (s3 GetObject, GetObjectTorrent) never are: their
// Content-Encoding is the stored object's. Any other encoded body is, whatever
// its content type, so that it is decoded and checked (or withheld) rather
// than passed on unread.
func Maskable(contentType, contentEncoding, service, operation string) bool {
	if isPayload(service, operation) {
		return false
	}
	if Encoded(contentEncoding) {
		return true
	}
	if mt, _, _ := strings.Cut(contentType, ";"); strings.TrimSpace(mt) == "" {
		// Body sniffs the first byte, so the whole body must be seen: treat
		// it as maskable (fail closed).
		return true
	}
	return formatOf(contentType, nil) != formatOpaque
}

// Opaque reports whether Body passes a body of this content type through
// unread (binary, event streams, unknown types).
func Opaque(contentType string) bool {
	mt, _, _ := strings.Cut(contentType, ";")
	return strings.TrimSpace(mt) != "" && formatOf(contentType, nil) == formatOpaque
}
