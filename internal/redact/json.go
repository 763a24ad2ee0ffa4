package redact

// JSON bodies (awsJson 1.0/1.1, restJson, request bodies): one streaming
// pass over the tokens with jsontext, reading the body in place. Values are
// skipped unless a rule may change them (they belong to a matched member,
// or detectors are in scope); a changed string's byte span (or, for a
// detector match in a string without escapes, the match's own span) is
// recorded and replaced afterwards, so everything else keeps its bytes and
// formatting.

import (
	"bytes"
	"errors"
	"io"

	"github.com/go-json-experiment/json/jsontext"
)

// errTrailingData reports a second top-level value after the first.
var errTrailingData = errors.New("data after the top-level value")

// jframe is one open JSON container.
type jframe struct {
	base int       // path length to restore when it closes
	sel  selection // what applies to its children
}

func (r *run) json(body []byte) error {
	dec := jsontext.NewDecoder(bytes.NewBuffer(body), jsontext.AllowDuplicateNames(true))
	var (
		frames  []jframe
		started bool
		nameBuf []byte
	)
	cur := func() selection {
		if len(frames) == 0 {
			return root()
		}
		return frames[len(frames)-1].sel
	}
	pending := root() // what applies to the next value
	for {
		kind := dec.PeekKind()
		if kind == 0 { // an error or the end of the input, reported by the read
			_, err := dec.ReadToken()
			if errors.Is(err, io.EOF) && started {
				return nil
			}
			return jsonError(dec, err)
		}
		depth := dec.StackDepth()
		if depth == 0 && started {
			return &BodyError{Format: "json", Offset: dec.InputOffset(), Err: errTrailingData}
		}
		started = true
		parent, n := dec.StackIndex(depth)

		if parent == '{' && n%2 == 0 && kind != '}' { // a member name
			v, err := dec.ReadValue()
			if err != nil {
				return jsonError(dec, err)
			}
			name := v[1 : len(v)-1]
			if bytes.IndexByte(name, '\\') >= 0 {
				if nameBuf, err = jsontext.AppendUnquote(nameBuf[:0], v); err != nil {
					return jsonError(dec, err)
				}
				name = nameBuf
			}
			r.path.push(name)
			pending = r.selectAt(cur())
			continue
		}

		switch kind {
		case '{', '[':
			if _, err := dec.ReadToken(); err != nil {
				return jsonError(dec, err)
			}
			base := len(r.path.segs)
			switch {
			case parent == '{':
				base-- // closing the container also ends its member
				if kind == '[' {
					r.path.markArray()
				}
			case kind == '[':
				r.path.pushArray()
			}
			frames = append(frames, jframe{base: base, sel: pending})
		case '}', ']':
			if _, err := dec.ReadToken(); err != nil {
				return jsonError(dec, err)
			}
			r.path.truncate(frames[len(frames)-1].base)
			frames = frames[:len(frames)-1]
		case '"':
			if r.active(pending) {
				v, err := dec.ReadValue()
				if err != nil {
					return jsonError(dec, err)
				}
				end := dec.InputOffset()
				if err := r.jsonString(v, end-int64(len(v)), end, pending); err != nil {
					return jsonError(dec, err)
				}
			} else if err := dec.SkipValue(); err != nil {
				return jsonError(dec, err)
			}
			if parent == '{' {
				r.path.truncate(len(r.path.segs) - 1)
			}
		default: // numbers and literals are never replaced
			if err := dec.SkipValue(); err != nil {
				return jsonError(dec, err)
			}
			if parent == '{' {
				r.path.truncate(len(r.path.segs) - 1)
			}
		}
		pending = cur()
	}
}

// jsonSlot types the string at the current path: a blob field, or inside
// DynamoDB AttributeValues an "N"/"NS" number or "B"/"BS" blob.
func (r *run) jsonSlot(s selection) slot {
	if s.b64 {
		return slotBlob
	}
	if !r.dynamo {
		return slotText
	}
	n := len(r.path.segs)
	if n == 0 {
		return slotText
	}
	switch string(r.path.name(n - 1)) {
	case "N", "NS":
		return slotNumber
	case "B", "BS":
		return slotBlob
	}
	return slotText
}

// jsonString masks the string token raw at body[start:end] under s.
func (r *run) jsonString(raw []byte, start, end int64, s selection) error {
	sl := r.jsonSlot(s)
	if s.whole >= 0 {
		switch {
		case sl == slotBlob:
			r.replace(start, end, r.e.jsonB64, s.whole)
		case sl == slotNumber:
			r.replace(start, end, r.e.jsonZero, s.whole)
		case r.fastWhole(s.whole):
			r.replace(start, end, r.e.jsonMsk, s.whole)
		default:
			v, _, err := r.jsonText(raw)
			if err != nil {
				return err
			}
			if t := r.wholeValue(s.whole, v); t != nil {
				r.replace(start, end, r.keepQuoted(t), s.whole)
			}
		}
		return nil
	}
	if sl == slotBlob {
		return nil // detectors do not read base64
	}
	v, escaped, err := r.jsonText(raw)
	if err != nil {
		return err
	}
	found, whole := r.scan(v, s)
	if !found {
		return nil
	}
	r.noteHere()
	switch {
	case sl == slotNumber:
		r.spanEdit(start, end, r.e.jsonZero)
	case whole >= 0:
		r.spanEdit(start, end, r.keepQuoted(r.wholeText(v, whole)))
	case !escaped:
		// The value's bytes are its text: replace only the matches.
		for i := range r.det.spans {
			sp := &r.det.spans[i]
			q := r.keepQuoted(r.spanText(sp))
			r.spanEdit(start+1+int64(sp.start), start+1+int64(sp.end), q[1:len(q)-1])
		}
	default:
		r.spanEdit(start, end, r.keepQuoted(r.rebuilt(v)))
	}
	return nil
}

// jsonText returns the text of a string token, and whether it had escapes
// (then the text is decoded into scratch and its offsets are not the
// token's).
func (r *run) jsonText(raw []byte) ([]byte, bool, error) {
	inner := raw[1 : len(raw)-1]
	if bytes.IndexByte(inner, '\\') < 0 {
		return inner, false, nil
	}
	var err error
	r.text, err = jsontext.AppendUnquote(r.text[:0], raw)
	return r.text, true, err
}

// keepQuoted stores t as a JSON string in the arena.
func (r *run) keepQuoted(t []byte) []byte {
	start := len(r.arena)
	r.arena, _ = jsontext.AppendQuote(r.arena, t) // t is valid UTF-8: built from decoded text and ASCII
	return r.arena[start:len(r.arena):len(r.arena)]
}

// jsonError wraps a decoder error with the offset it names.
func jsonError(dec *jsontext.Decoder, err error) error {
	off := dec.InputOffset()
	var se *jsontext.SyntacticError
	if errors.As(err, &se) {
		off = se.ByteOffset
	}
	if errors.Is(err, io.EOF) {
		err = io.ErrUnexpectedEOF
	}
	return &BodyError{Format: "json", Offset: off, Err: err}
}
