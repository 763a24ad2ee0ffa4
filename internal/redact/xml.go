package redact

// XML bodies (query protocol: sts, iam, ec2, ...; restXml: s3, route53,
// cloudfront): encoding/xml's decoder checks well-formedness and tracks the
// element path; the text between a matched element's tags (and inside its
// descendants) is replaced at the byte offsets the decoder reports. Nothing
// is re-encoded, so namespaces, prefixes, attributes and the declaration
// stay exactly as AWS sent them. Attribute values and comments are not
// masked.

import (
	"bytes"
	"encoding/xml"
	"errors"
	"io"
)

// errNoRoot reports an XML body without an element.
var errNoRoot = errors.New("no root element")

func (r *run) xml(body []byte) error {
	dec := xml.NewDecoder(bytes.NewReader(body))
	maskDepth := 0 // path length of the matched element being masked; 0 = none
	sawRoot := false
	for {
		start := dec.InputOffset()
		tok, err := dec.Token()
		if errors.Is(err, io.EOF) {
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
			r.path.pushString(t.Name.Local)
			if maskDepth == 0 && r.matches() {
				maskDepth = len(r.path.segs)
				r.startMatch()
			}
		case xml.EndElement:
			if maskDepth == len(r.path.segs) {
				maskDepth = 0
			}
			r.path.truncate(len(r.path.segs) - 1)
		case xml.CharData:
			// Whitespace between child elements is formatting, not a value.
			if maskDepth > 0 && len(bytes.TrimSpace(t)) > 0 {
				msk := r.e.xmlMsk
				if r.matchedB64 {
					msk = r.e.b64Msk // base64 needs no XML escaping
				}
				r.replace(start, dec.InputOffset(), msk)
			}
		}
	}
}
