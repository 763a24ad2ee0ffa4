package awsmodel

// rest-xml request bodies (S3 DeleteObjects, PutBucketLifecycleConfiguration,
// Route 53 ChangeResourceRecordSets, ...), decoded without the model so that
// policy and call-scope grants see and pin them: the root element's children
// become members; an element with only text is a string; an element with
// children (or attributes, as "@name") is a map; sibling elements of one name
// side by side are a list ([]any). Where two XML readers could disagree the
// body is refused (ErrAmbiguousRequest): a DOCTYPE or entity declaration, a
// comment or processing instruction (text split around it), text mixed with
// child elements, an element repeated but not side by side (a member given
// twice rather than a list), repeated siblings of which some have children and
// some not, a second root, nesting deeper than maxXMLDepth or more than
// maxXMLElements elements.

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strings"
)

const (
	// maxXMLDepth bounds nesting; AWS request bodies nest fewer than ten deep.
	maxXMLDepth = 32
	// maxXMLElements bounds the work per body (DeleteObjects: 1000 keys).
	maxXMLElements = 100_000
)

// xmlElem is an element being read.
type xmlElem struct {
	name     string
	fields   map[string]any
	count    map[string]int  // children by name
	isMap    map[string]bool // whether the children of a name had structure
	ended    map[string]bool // names whose run of side-by-side siblings ended
	last     string          // name of the previous child
	text     strings.Builder
	children bool
	attrs    bool
}

func newXMLElem(se xml.StartElement) (*xmlElem, error) {
	e := &xmlElem{name: se.Name.Local, fields: map[string]any{}, count: map[string]int{},
		isMap: map[string]bool{}, ended: map[string]bool{}}
	for _, a := range se.Attr {
		if a.Name.Space == "xmlns" || a.Name.Local == "xmlns" && a.Name.Space == "" {
			continue // namespace declarations carry no input
		}
		k := "@" + a.Name.Local
		if _, dup := e.fields[k]; dup {
			return nil, fmt.Errorf("%w: XML element <%s> has attribute %s twice", ErrAmbiguousRequest, e.name, a.Name.Local)
		}
		e.fields[k] = a.Value
		e.attrs = true
	}
	return e, nil
}

// value is what the element reads as once closed.
func (e *xmlElem) value() (any, error) {
	text := e.text.String()
	switch {
	case e.children && strings.TrimSpace(text) != "":
		return nil, fmt.Errorf("%w: XML element <%s> mixes text with child elements", ErrAmbiguousRequest, e.name)
	case !e.children && !e.attrs:
		return text, nil
	case !e.children && text != "":
		e.fields["#text"] = text
	}
	return e.fields, nil
}

// add records a closed child element.
func (e *xmlElem) add(name string, v any) error {
	if e.ended[name] {
		return fmt.Errorf("%w: XML element <%s> appears twice inside <%s>, not side by side", ErrAmbiguousRequest, name, e.name)
	}
	_, isMap := v.(map[string]any)
	n := e.count[name]
	e.count[name] = n + 1
	switch n {
	case 0: // attributes are "@name": no element name clashes with them
		e.fields[name] = v
		e.isMap[name] = isMap
		return nil
	case 1:
		e.fields[name] = []any{e.fields[name]}
	}
	if e.isMap[name] != isMap {
		return fmt.Errorf("%w: repeated XML element <%s> inside <%s> is sometimes a structure, sometimes text", ErrAmbiguousRequest, name, e.name)
	}
	e.fields[name] = append(e.fields[name].([]any), v)
	return nil
}

// startChild notes that a child element called name begins.
func (e *xmlElem) startChild(name string) {
	if e.last != "" && e.last != name {
		e.ended[e.last] = true
	}
	e.last = name
	e.children = true
}

// decodeXMLObject decodes a rest-xml body into the members of its root
// element. An empty body (only whitespace) has no members.
func decodeXMLObject(body []byte) (map[string]any, error) {
	if len(bytes.TrimSpace(body)) == 0 {
		return map[string]any{}, nil
	}
	d := xml.NewDecoder(bytes.NewReader(body))
	d.Strict = true // only the five predefined entities; unknown ones fail
	var (
		stack    []*xmlElem
		root     map[string]any
		elements int
		first    = true
		// rootSpace is the root element's namespace; every element in
		// the body must share it.
		rootSpace string
	)
	for {
		tok, err := d.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("%w: body is not well-formed XML: %w", ErrMalformedRequest, err)
		}
		switch t := tok.(type) {
		case xml.ProcInst:
			if !first || t.Target != "xml" {
				return nil, fmt.Errorf("%w: XML body has a processing instruction <?%s?>", ErrAmbiguousRequest, t.Target)
			}
		case xml.Directive:
			return nil, fmt.Errorf("%w: XML body has a DOCTYPE or other <!...> declaration, which may define entities", ErrAmbiguousRequest)
		case xml.Comment:
			return nil, fmt.Errorf("%w: XML body has a comment, which some readers split text around", ErrAmbiguousRequest)
		case xml.CharData:
			if len(stack) == 0 {
				if len(bytes.TrimSpace(t)) != 0 {
					return nil, fmt.Errorf("%w: XML body has text outside its root element", ErrMalformedRequest)
				}
				break
			}
			stack[len(stack)-1].text.Write(t)
		case xml.StartElement:
			if elements++; elements > maxXMLElements {
				return nil, fmt.Errorf("%w: XML body has more than %d elements", ErrMalformedRequest, maxXMLElements)
			}
			if len(stack) == 0 && root != nil {
				return nil, fmt.Errorf("%w: XML body has a second root element <%s>", ErrAmbiguousRequest, t.Name.Local)
			}
			if len(stack) >= maxXMLDepth {
				return nil, fmt.Errorf("%w: XML body nests deeper than %d elements", ErrMalformedRequest, maxXMLDepth)
			}
			if len(stack) > 0 {
				if t.Name.Space != rootSpace {
					return nil, fmt.Errorf("%w: XML element <%s> is in namespace %q, not the root's %q; readers that ignore foreign elements would not see it",
						ErrAmbiguousRequest, t.Name.Local, t.Name.Space, rootSpace)
				}
				stack[len(stack)-1].startChild(t.Name.Local)
			} else {
				rootSpace = t.Name.Space
			}
			e, err := newXMLElem(t)
			if err != nil {
				return nil, err
			}
			stack = append(stack, e)
		case xml.EndElement:
			e := stack[len(stack)-1]
			stack = stack[:len(stack)-1]
			v, err := e.value()
			if err != nil {
				return nil, err
			}
			if len(stack) > 0 {
				if err := stack[len(stack)-1].add(e.name, v); err != nil {
					return nil, err
				}
				break
			}
			m, ok := v.(map[string]any)
			if !ok {
				m = map[string]any{} // a root with text only (<Delete/>) has no members
				if s := v.(string); strings.TrimSpace(s) != "" {
					return nil, fmt.Errorf("%w: XML root element <%s> holds text, not members", ErrMalformedRequest, e.name)
				}
			}
			root = m
		}
		first = false
	}
	if root == nil {
		return nil, fmt.Errorf("%w: XML body has no root element", ErrMalformedRequest)
	}
	return root, nil
}
