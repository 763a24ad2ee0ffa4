package redact

import (
	"bytes"
	"encoding/base64"
	"encoding/xml"
	"fmt"
	"net/url"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/go-json-experiment/json/jsontext"
)

// Mask is the default replacement for a redacted string value. It says who
// removed the value so that a human reading an agent's transcript does not
// mistake it for a real (broken) secret.
const Mask = "[REDACTED by jitgate]"

// Rule selects fields to redact.
type Rule struct {
	// Name identifies the rule in errors (and in policy files).
	Name string
	// Fields are field names matched at any depth in JSON objects, XML
	// elements (local name, namespace ignored) and form keys, compared
	// case-insensitively (ASCII). '*' in a name matches any run of
	// characters ("*Password*"). A dotted field ("Credentials.SecretAccessKey")
	// matches when the last names of the path agree; array levels are
	// skipped and a "[]" suffix on a segment is ignored.
	Fields []string
	// Service restricts the rule to one service id ("" = all services),
	// compared case-insensitively.
	Service string
	// Operation restricts the rule to one operation name ("" = all).
	Operation string
	// Base64 marks the fields as blobs (base64 text in JSON, XML and forms):
	// their strings are replaced by the base64 of the mask so that SDKs
	// still decode them. CBOR blobs are byte strings and need no flag.
	Base64 bool
}

// Option configures an [Engine].
type Option func(*config)

type config struct {
	mask      string
	sensitive func(service, operation string) []string
}

// WithMask replaces [Mask] as the text written over redacted strings. It
// must be non-empty UTF-8 without control characters.
func WithMask(s string) Option { return func(c *config) { c.mask = s } }

// WithSensitive adds names that are masked on top of every rule: for each
// [Engine.Body] call, f(service, operation) lists member names (compared
// case-insensitively with the last name of a path, at any depth) whose
// values are masked like a rule's fields. It is meant for the names of
// members whose shapes botocore marks "sensitive" in that operation. f must
// be safe for concurrent use; nil (the default) adds nothing.
func WithSensitive(f func(service, operation string) []string) Option {
	return func(c *config) { c.sensitive = f }
}

// Engine redacts bodies by compiled rules. It is immutable and safe for
// concurrent use.
type Engine struct {
	m         matcher
	sensitive func(service, operation string) []string
	jsonMsk   []byte // quoted mask
	jsonB64   []byte // quoted base64 of the mask, for blobs (and DynamoDB B/BS values)
	jsonZero  []byte // "0", for DynamoDB N/NS values
	xmlMsk    []byte // escaped mask
	b64Msk    []byte // base64 of the mask, for XML and form blobs
	formMsk   []byte // query-escaped mask
	formB64   []byte // query-escaped base64 of the mask
	cborText  []byte // the mask as a CBOR text string
	cborBytes []byte // the mask as a CBOR byte string
}

// New compiles rules and the built-in credential rules ([BuiltinRules]),
// which are always on. A rule without fields, an empty or malformed field,
// or a bad option is an error naming the rule.
func New(rules []Rule, opts ...Option) (*Engine, error) {
	cfg := config{mask: Mask}
	for _, o := range opts {
		o(&cfg)
	}
	if cfg.mask == "" || !utf8.ValidString(cfg.mask) || strings.ContainsFunc(cfg.mask, unicode.IsControl) {
		return nil, fmt.Errorf("%w: mask must be non-empty UTF-8 without control characters", ErrInvalidOption)
	}
	e := &Engine{sensitive: cfg.sensitive}
	for i, r := range rules {
		if strings.HasPrefix(r.Name, BuiltinRulePrefix) {
			return nil, &RuleError{Rule: r.Name, Index: i, Reason: "names starting with " + BuiltinRulePrefix + " are reserved for built-in rules"}
		}
		if err := e.m.add(r, i); err != nil {
			return nil, err
		}
	}
	for i, r := range builtinRules() {
		if err := e.m.add(r, len(rules)+i); err != nil {
			return nil, fmt.Errorf("built-in rule: %w", err) // a bug in this package
		}
	}
	var err error
	if e.jsonMsk, err = jsontext.AppendQuote(nil, cfg.mask); err != nil {
		return nil, fmt.Errorf("%w: mask: %w", ErrInvalidOption, err)
	}
	e.jsonZero = []byte(`"0"`)
	e.b64Msk = []byte(base64.StdEncoding.EncodeToString([]byte(cfg.mask)))
	e.jsonB64, _ = jsontext.AppendQuote(nil, string(e.b64Msk))
	e.cborText = appendCBORHead(nil, cborText, uint64(len(cfg.mask)))
	e.cborText = append(e.cborText, cfg.mask...)
	e.cborBytes = appendCBORHead(nil, cborBytes, uint64(len(cfg.mask)))
	e.cborBytes = append(e.cborBytes, cfg.mask...)
	var b bytes.Buffer
	_ = xml.EscapeText(&b, []byte(cfg.mask)) // writes to a bytes.Buffer cannot fail
	e.xmlMsk = b.Bytes()
	e.formMsk = []byte(url.QueryEscape(cfg.mask))
	e.formB64 = []byte(url.QueryEscape(string(e.b64Msk)))
	return e, nil
}

// Result is the outcome of [Engine.Body].
type Result struct {
	// Body is the redacted body; when Changed is false it is the input
	// slice itself, unmodified.
	Body []byte
	// Fields lists the redacted paths once each, in order of first
	// appearance: "Credentials.SecretAccessKey",
	// "authorizationData[].authorizationToken". For XML the path starts at
	// the root element ("AssumeRoleResponse.AssumeRoleResult.Credentials.SessionToken");
	// for forms it is the decoded key.
	Fields []string
	// Changed reports whether Body differs from the input.
	Changed bool
}

// Body redacts body according to its content type, for the given service
// id and operation (both compared case-insensitively with rule
// restrictions). The body must be decoded (no Content-Encoding).
//
//   - JSON (application/json, application/x-amz-json-1.0/1.1, */*+json):
//     the value of a matched member is replaced: a string by the mask; an
//     object or array by masking every string inside it. Numbers, booleans
//     and null stay (they keep the SDK's types valid). In service
//     "dynamodb"/"dynamodbstreams" the strings under an "N"/"NS" key become
//     "0" and under "B"/"BS" the base64 of the mask, so AttributeValues
//     still decode.
//   - XML (text/xml, application/xml, */*+xml): the text of a matched
//     element, and of every element inside it, is replaced; tags,
//     namespaces, attributes and the declaration are kept byte for byte.
//   - CBOR (application/cbor, */*+cbor; smithy rpc-v2-cbor): the value of
//     a matched map member is replaced: a text string by the mask as a text
//     string, a byte string by the mask's bytes as a byte string (an
//     indefinite-length string becomes one definite string); containers
//     have every string inside masked. Numbers, simple values and the
//     content of number and date tags (0-5) stay. Map keys must be text
//     strings, as smithy's decoders require.
//   - Forms (application/x-www-form-urlencoded, query-protocol requests):
//     the value of a matched key is replaced.
//   - No content type: sniffed from the first byte ('{' or '[' JSON, '<'
//     XML), otherwise unchanged.
//   - Anything else (binary, event streams) and object payloads (s3
//     GetObject, GetObjectTorrent) are returned unchanged. Masking event
//     streams is a later issue.
//
// Fields of a rule with Base64 set get the base64 of the mask in JSON, XML
// and forms (they are blobs there). Names from [WithSensitive] are masked
// like rule fields.
//
// Only the bytes of redacted values change, so formatting is preserved and
// a body without a match is returned as is. A body that claims a format but
// does not parse is a [*BodyError] wrapping [ErrInvalidBody]: fail closed.
// Empty (or all-whitespace) bodies are returned unchanged.
func (e *Engine) Body(contentType, service, operation string, body []byte) (Result, error) {
	unchanged := Result{Body: body}
	if len(bytes.TrimSpace(body)) == 0 || isPayload(service, operation) {
		return unchanged, nil
	}
	f := formatOf(contentType, body)
	if f == formatOpaque {
		return unchanged, nil
	}
	r := run{e: e, service: service, operation: operation}
	if e.sensitive != nil {
		r.sensitive = e.sensitive(service, operation)
	}
	var err error
	switch f {
	case formatJSON:
		err = r.json(body)
	case formatXML:
		err = r.xml(body)
	case formatForm:
		err = r.form(body)
	case formatCBOR:
		err = r.cbor(body)
	}
	if err != nil {
		return Result{}, err
	}
	if len(r.edits) == 0 {
		return Result{Body: body, Fields: r.fields}, nil
	}
	return Result{Body: applyEdits(body, r.edits), Fields: r.fields, Changed: true}, nil
}

// isPayload reports operations whose body is the customer's object, not an
// API document, even when its content type says JSON or XML.
func isPayload(service, operation string) bool {
	return strings.EqualFold(service, "s3") &&
		(strings.EqualFold(operation, "GetObject") || strings.EqualFold(operation, "GetObjectTorrent"))
}

type format int

const (
	formatOpaque format = iota
	formatJSON
	formatXML
	formatForm
	formatCBOR
)

// formatOf maps a Content-Type (parameters ignored) to a body format.
func formatOf(contentType string, body []byte) format {
	mt, _, _ := strings.Cut(contentType, ";")
	mt = strings.ToLower(strings.TrimSpace(mt))
	switch {
	case mt == "":
		b := bytes.TrimLeft(body, " \t\r\n")
		if len(b) == 0 {
			return formatOpaque
		}
		switch b[0] {
		case '{', '[':
			return formatJSON
		case '<':
			return formatXML
		}
		return formatOpaque
	case mt == "application/json", mt == "text/json", strings.HasPrefix(mt, "application/x-amz-json"), strings.HasSuffix(mt, "+json"):
		return formatJSON
	case mt == "text/xml", mt == "application/xml", strings.HasSuffix(mt, "+xml"):
		return formatXML
	case mt == "application/x-www-form-urlencoded":
		return formatForm
	case mt == "application/cbor", strings.HasSuffix(mt, "+cbor"), strings.HasPrefix(mt, "application/x-amz-cbor"):
		// application/x-amz-cbor-1.1: what AWS's JSON front ends answer
		// in CBOR (Kinesis, CloudWatch and others).
		return formatCBOR
	}
	return formatOpaque
}

// edit replaces body[start:end] with repl.
type edit struct {
	start, end int
	repl       []byte
}

// applyEdits builds the new body; edits are in increasing, non-overlapping
// order.
func applyEdits(body []byte, edits []edit) []byte {
	n := len(body)
	for _, ed := range edits {
		n += len(ed.repl) - (ed.end - ed.start)
	}
	out := make([]byte, 0, n)
	prev := 0
	for _, ed := range edits {
		out = append(out, body[prev:ed.start]...)
		out = append(out, ed.repl...)
		prev = ed.end
	}
	return append(out, body[prev:]...)
}

// run is the state of one Body call.
type run struct {
	e                  *Engine
	service, operation string
	path               path
	edits              []edit
	fields             []string
	scratch            []byte
	sensitive          []string // names from WithSensitive for this call
	matched            []byte   // path of the current match, rendered
	matchedUsed        bool     // whether matched is already in fields
	matchedB64         bool     // the current match is a blob (base64 mask)
	lastB64            bool     // set by matches: the selecting rules want base64
	noMerge            bool     // adjacent edits are separate values (CBOR array items)
}

// matches reports whether the current path is selected, by a rule or by a
// sensitive name.
func (r *run) matches() bool {
	var ok bool
	ok, r.lastB64, r.scratch = r.e.m.match(&r.path, r.service, r.operation, r.scratch)
	if ok || len(r.sensitive) == 0 {
		return ok
	}
	n := len(r.path.segs)
	if n == 0 || r.path.segs[n-1].transparent() {
		return false
	}
	name := r.path.name(n - 1)
	for _, s := range r.sensitive {
		if equalFoldASCII(name, s) {
			return true
		}
	}
	return false
}

// startMatch remembers the current path as the match later edits belong to.
// Call it right after matches returned true.
func (r *run) startMatch() {
	r.matched = r.path.appendString(r.matched[:0])
	r.matchedUsed = false
	r.matchedB64 = r.lastB64
}

// replace records an edit inside the current match and reports the match's
// path in fields on its first edit (a match whose values are all numbers or
// empty changes nothing and is not reported).
func (r *run) replace(start, end int64, repl []byte) {
	if n := len(r.edits); !r.noMerge && n > 0 && r.edits[n-1].end == int(start) && bytes.Equal(r.edits[n-1].repl, repl) {
		// Adjacent pieces of one value (XML text, CDATA, entity runs)
		// become a single mask.
		r.edits[n-1].end = int(end)
	} else {
		r.edits = append(r.edits, edit{start: int(start), end: int(end), repl: repl})
	}
	if r.matchedUsed {
		return
	}
	r.matchedUsed = true
	for _, f := range r.fields {
		if f == string(r.matched) {
			return
		}
	}
	r.fields = append(r.fields, string(r.matched))
}
