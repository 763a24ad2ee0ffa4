package redact

// Replacements: what a masked value becomes. The choice is per rule; the
// format code (json.go, xml.go, cbor.go, form.go) turns the text into the
// body's own encoding, so every mode keeps the body valid: a string stays
// a string, a blob stays base64, a DynamoDB number stays a number.

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base32"
	"fmt"
	"unicode/utf8"

	"github.com/jitgate/jitgate/internal/redact/detect"
)

// Mode names a replacement.
type Mode string

// The replacement modes.
const (
	// ModeFull writes the mask ([Mask] or WithMask's text). The default.
	ModeFull Mode = "full"
	// ModeLast keeps the last Replace.Keep characters and writes '*' for
	// every character before them ("************1111"); a value of Keep
	// characters or fewer becomes all '*'.
	ModeLast Mode = "last"
	// ModePlaceholder writes the detector's typed placeholder ("[EMAIL]",
	// "[CARD]", "[EMPLOYEE_ID]" for a custom detector), or "[REDACTED]"
	// for a value selected by field.
	ModePlaceholder Mode = "placeholder"
	// ModeHash writes "tok_" and the first 16 characters of the lowercase
	// base32 HMAC-SHA-256 of the value under the engine's hash key
	// ([WithHashKey]): the same value gives the same token, so masked
	// records can still be joined. Card, phone, SSN and IBAN matches are
	// hashed without their separators.
	ModeHash Mode = "hash"
)

// Replace is a rule's replacement.
type Replace struct {
	Mode Mode // "" = ModeFull
	Keep int  // characters ModeLast keeps; at least 1 for ModeLast, 0 otherwise
}

// fieldPlaceholder is ModePlaceholder's text for a field match.
const fieldPlaceholder = "[REDACTED]"

// minHashKey is the shortest hash key WithHashKey accepts.
const minHashKey = 16

type replaceError struct{ key, reason string }

func checkReplace(r Replace, hashKey bool) *replaceError {
	switch r.Mode {
	case "", ModeFull, ModePlaceholder:
	case ModeLast:
		if r.Keep < 1 {
			return &replaceError{"replace.keep", fmt.Sprintf("mode last needs keep of at least 1 (got %d); use mode full to keep nothing", r.Keep)}
		}
		return nil
	case ModeHash:
		if !hashKey {
			return &replaceError{"replace.mode", "mode hash needs a hash key: start the masker with --masking-hash-key (JITGATE_MASKING_HASH_KEY)"}
		}
	default:
		return &replaceError{"replace.mode", fmt.Sprintf("unknown mode %q; use full, last, placeholder or hash", r.Mode)}
	}
	if r.Keep < 0 {
		return &replaceError{"replace.keep", fmt.Sprintf("keep must not be negative (got %d)", r.Keep)}
	}
	if r.Keep != 0 {
		return &replaceError{"replace.keep", "keep applies to mode last only"}
	}
	return nil
}

// replacer computes replacement text; it belongs to one Body call.
type replacer struct {
	e   *Engine
	buf []byte
}

// text returns the replacement for value under rule ru; kind and custom
// name the detector that matched (both zero for a field match). The
// result is valid until the next call.
func (p *replacer) text(ru *rule, value []byte, kind detect.Kind, custom *detect.Custom) []byte {
	p.buf = p.buf[:0]
	switch ru.repl.Mode {
	case ModePlaceholder:
		switch {
		case custom != nil:
			return append(p.buf, custom.Placeholder()...)
		case kind != 0:
			return append(p.buf, kind.Placeholder()...)
		}
		return append(p.buf, fieldPlaceholder...)
	case ModeLast:
		n := utf8.RuneCount(value)
		if n <= ru.repl.Keep {
			for range n {
				p.buf = append(p.buf, '*')
			}
			return p.buf
		}
		cut := 0
		for i := 0; i < n-ru.repl.Keep; i++ {
			_, size := utf8.DecodeRune(value[cut:])
			cut += size
			p.buf = append(p.buf, '*')
		}
		return append(p.buf, value[cut:]...)
	case ModeHash:
		m := hmac.New(sha256.New, p.e.hashKey)
		m.Write(canonical(kind, value))
		var sum [sha256.Size]byte
		var enc [52]byte
		tokenEncoding.Encode(enc[:], m.Sum(sum[:0]))
		p.buf = append(p.buf, "tok_"...)
		return append(p.buf, enc[:16]...)
	}
	return append(p.buf, p.e.mask...)
}

var tokenEncoding = base32.NewEncoding("abcdefghijklmnopqrstuvwxyz234567").WithPadding(base32.NoPadding)

// canonical strips separators from numbers whose spelling varies, so that
// "4111 1111 1111 1111" and "4111-1111-1111-1111" hash alike.
func canonical(kind detect.Kind, v []byte) []byte {
	switch kind {
	case detect.Card, detect.Phone, detect.SSN, detect.IBAN:
	default:
		return v
	}
	out := make([]byte, 0, len(v))
	for _, c := range v {
		if c != ' ' && c != '-' && c != '.' && c != '(' && c != ')' {
			out = append(out, c)
		}
	}
	return out
}
