package redact

import (
	"errors"
	"fmt"
)

// ErrInvalidRule is the sentinel wrapped by every [*RuleError].
var ErrInvalidRule = errors.New("redact: invalid masking rule")

// ErrInvalidOption reports an unusable [Option] value (for example an
// empty mask).
var ErrInvalidOption = errors.New("redact: invalid option")

// ErrInvalidBody is the sentinel wrapped by every [*BodyError]: a body that
// claims to be JSON, XML, CBOR or a form does not parse, or a compressed
// body does not decode. Callers must treat the
// body as unmaskable and fail closed (never forward it unmasked).
var ErrInvalidBody = errors.New("redact: body does not parse")

// RuleError reports a rule that [New] cannot compile.
type RuleError struct {
	Rule  string // the rule's Name ("" when unnamed)
	Index int    // position of the rule in the list passed to New
	// Key is the rules-file key at fault ("fields", "detectors[1]",
	// "custom[0].regex", "allow[2]", "replace.mode", "replace.keep",
	// "principals[0]"); "" for the rule as a whole.
	Key    string
	Field  string // the offending field pattern, when Key is "fields"
	Reason string
}

// Error names the rule, the key or field, and what is wrong with it.
func (e *RuleError) Error() string {
	name := e.Rule
	if name == "" {
		name = fmt.Sprintf("#%d", e.Index)
	}
	switch {
	case e.Field != "":
		return fmt.Sprintf("redact: masking rule %s: field %q: %s", name, e.Field, e.Reason)
	case e.Key != "":
		return fmt.Sprintf("redact: masking rule %s: %s: %s", name, e.Key, e.Reason)
	}
	return fmt.Sprintf("redact: masking rule %s: %s", name, e.Reason)
}

// Unwrap returns [ErrInvalidRule].
func (e *RuleError) Unwrap() error { return ErrInvalidRule }

// BodyError reports a body that does not parse in the format its content
// type names. Its message carries only the format and the byte offset, never
// the parser's own message, because parsers quote pieces of the input and
// the input may hold secrets; the parser's error is reachable through
// [errors.Unwrap] / [errors.As] for debugging.
type BodyError struct {
	Format string // "json", "xml", "cbor", "form", or "gzip"/"deflate" from Decode
	Offset int64  // byte offset at or near the problem
	Err    error  // the parser's error; may quote the body, do not log
}

// Error names the format and offset only.
func (e *BodyError) Error() string {
	return fmt.Sprintf("redact: %s body does not parse near byte %d; it cannot be masked and must not be forwarded", e.Format, e.Offset)
}

// Unwrap returns [ErrInvalidBody] and the parser's error.
func (e *BodyError) Unwrap() []error { return []error{ErrInvalidBody, e.Err} }

// ErrUnsupportedEncoding reports a Content-Encoding [Decode] cannot read
// (anything but gzip, deflate and identity). The body cannot be checked
// for secrets: withhold it.
var ErrUnsupportedEncoding = errors.New("redact: unsupported content encoding")

// ErrDecodedTooLarge reports a compressed body that decodes to more than
// the caller's limit (a decompression bomb, or simply too large to mask).
var ErrDecodedTooLarge = errors.New("redact: decoded body exceeds the limit")
