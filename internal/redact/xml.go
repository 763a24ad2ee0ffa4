package redact

// XML bodies (query protocol: sts, iam, ec2, ...; restXml: s3, route53,
// cloudfront): encoding/xml's decoder checks well-formedness and tracks the
// element path; the text between a matched element's tags (and inside its
// descendants) is replaced at the byte offsets the decoder reports, and a
// detector match in text without entities or CDATA replaces only its own
// bytes. Nothing else is re-encoded, so namespaces, prefixes, attributes
// and the declaration stay exactly as AWS sent them. Attribute values and
// comments are not masked.

import (
	"bytes"
	"encoding/xml"
	"errors"
	"io"
)

// errNoRoot reports an XML body without an element.
var errNoRoot = errors.New("no root element")

// errUnclosed reports a body that ends inside an element.
var errUnclosed = errors.New("unexpected EOF: element not closed")

// errMismatch reports an end tag that does not close the open element.
var errMismatch = errors.New("end element does not match the open element")

func (r *run) xml(body []byte) error {
	// RawToken, not Token: no namespace translation and no copies of
	// names and text (the engine needs neither), so the end-tag check
	// Token would make is made here, against the stack of open names.
	dec := xml.NewDecoder(bytes.NewReader(body))
	var sels []selection // per open element
	var open []xml.Name  // prefix and local name of each open element
	sawRoot := false
	for {
		start := dec.InputOffset()
		tok, err := dec.RawToken()
		if errors.Is(err, io.EOF) {
			if len(open) > 0 {
				return &BodyError{Format: "xml", Offset: start, Err: errUnclosed}
			}
			if !sawRoot {
				return &BodyError{Format: "xml", Offset: start, Err: errNoRoot}
			}
			return nil
		}
		if err != nil {
			return &BodyError{Format: "xml", Offset: dec.InputOffset(), Err: err}
		}
		switch t := tok.(type) {
		case xml.StartElement:
			sawRoot = true
			parent := root()
			if len(sels) > 0 {
				parent = sels[len(sels)-1]
			}
			r.path.pushString(t.Name.Local)
			sels = append(sels, r.selectAt(parent))
			open = append(open, t.Name)
		case xml.EndElement:
			if len(open) == 0 || open[len(open)-1] != t.Name {
				return &BodyError{Format: "xml", Offset: start, Err: errMismatch}
			}
			open = open[:len(open)-1]
			sels = sels[:len(sels)-1]
			r.path.truncate(len(r.path.segs) - 1)
		case xml.CharData:
			// Whitespace between child elements is formatting, not a value.
			if len(sels) > 0 && r.active(sels[len(sels)-1]) && len(bytes.TrimSpace(t)) > 0 {
				r.xmlText(body[start:dec.InputOffset()], t, start, dec.InputOffset(), sels[len(sels)-1])
			}
		}
	}
}

// xmlText masks one piece of character data: raw is its bytes in the body
// (entities, CDATA markers), t its decoded text.
func (r *run) xmlText(raw, t []byte, start, end int64, s selection) {
	if s.whole >= 0 {
		switch {
		case s.b64:
			r.replace(start, end, r.e.b64Msk, s.whole) // base64 needs no XML escaping
		case r.fastWhole(s.whole):
			r.replace(start, end, r.e.xmlMsk, s.whole)
		default:
			if v := r.wholeValue(s.whole, t); v != nil {
				r.replace(start, end, r.keepXML(v), s.whole)
			}
		}
		return
	}
	if s.b64 {
		return
	}
	found, whole := r.scan(t, s)
	if !found {
		return
	}
	r.noteHere()
	switch {
	case whole >= 0:
		r.spanEdit(start, end, r.keepXML(r.wholeText(t, whole)))
	case bytes.Equal(raw, t):
		for i := range r.det.spans {
			sp := &r.det.spans[i]
			r.spanEdit(start+int64(sp.start), start+int64(sp.end), r.keepXML(r.spanText(sp)))
		}
	default:
		r.spanEdit(start, end, r.keepXML(r.rebuilt(t)))
	}
}

// keepXML stores t escaped as character data in the arena.
func (r *run) keepXML(t []byte) []byte {
	start := len(r.arena)
	r.arena = xmlEscape(r.arena, t)
	return r.arena[start:len(r.arena):len(r.arena)]
}
