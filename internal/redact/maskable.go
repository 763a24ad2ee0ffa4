package redact

import "strings"

// Maskable reports whether Body may rewrite a response of this content type
// for this operation: the masker must then read such a body whole before
// passing it on, while other bodies can stream through unchanged.
func Maskable(contentType, service, operation string) bool {
	if isPayload(service, operation) {
		return false
	}
	if mt, _, _ := strings.Cut(contentType, ";"); strings.TrimSpace(mt) == "" {
		// Body sniffs the first byte, so the whole body must be seen: treat
		// it as maskable (fail closed).
		return true
	}
	switch formatOf(contentType, nil) {
	case formatJSON, formatXML, formatForm:
		return true
	}
	return false
}
