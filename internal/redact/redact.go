package redact

import (
	"bytes"
	"encoding/base64"
	"encoding/xml"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"

	"github.com/go-json-experiment/json/jsontext"
)

// Mask is the default replacement for a redacted string value. It says who
// removed the value so that a human reading an agent's transcript does not
// mistake it for a real (broken) secret.
const Mask = "[REDACTED by jitgate]"

// SensitiveRule names, in Result.Hits, the values masked because botocore
// marks their members sensitive ([WithSensitive]).
const SensitiveRule = BuiltinRulePrefix + "sensitive"

// Option configures an [Engine].
type Option func(*config)

type config struct {
	mask      string
	sensitive func(service, operation string) []string
	hashKey   []byte
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

// WithHashKey sets the HMAC-SHA-256 key of [ModeHash] replacements (at
// least 16 bytes). Without it, a rule asking for ModeHash is an error.
func WithHashKey(key []byte) Option {
	return func(c *config) { c.hashKey = append([]byte(nil), key...) }
}

// Engine redacts bodies by compiled rules. It is immutable and safe for
// concurrent use.
type Engine struct {
	// rules are, in order of precedence: the sensitive-trait pseudo-rule
	// (0), the built-in rules, then the caller's in their order. When
	// several rules select one value, the first replaces it, so a
	// credential is always masked in full.
	rules     []rule
	nBuiltin  int // rules[:nBuiltin] are built in
	m         matcher
	sensitive func(service, operation string) []string
	mask      string
	hashKey   []byte
	jsonMsk   []byte    // quoted mask
	jsonB64   []byte    // quoted base64 of the mask, for blobs (and DynamoDB B/BS values)
	jsonZero  []byte    // "0", for DynamoDB N/NS values
	xmlMsk    []byte    // escaped mask
	b64Msk    []byte    // base64 of the mask, for XML and form blobs
	formMsk   []byte    // query-escaped mask
	formB64   []byte    // query-escaped base64 of the mask
	cborText  []byte    // the mask as a CBOR text string
	cborBytes []byte    // the mask as a CBOR byte string
	runs      sync.Pool // *run: scratch reused between Body calls
}

// New compiles rules and the built-in credential rules ([BuiltinRules]),
// which are always on and take precedence. A rule without fields or
// detectors, an empty or malformed field, an unknown detector, a bad
// regex, a bad replacement, or a bad option is an error naming the rule
// and the key ([*RuleError]).
func New(rules []Rule, opts ...Option) (*Engine, error) {
	cfg := config{mask: Mask}
	for _, o := range opts {
		o(&cfg)
	}
	if cfg.mask == "" || !utf8.ValidString(cfg.mask) || strings.ContainsFunc(cfg.mask, unicode.IsControl) {
		return nil, fmt.Errorf("%w: mask must be non-empty UTF-8 without control characters", ErrInvalidOption)
	}
	if cfg.hashKey != nil && len(cfg.hashKey) < minHashKey {
		return nil, fmt.Errorf("%w: the hash key must be at least %d bytes", ErrInvalidOption, minHashKey)
	}
	e := &Engine{sensitive: cfg.sensitive, mask: cfg.mask, hashKey: cfg.hashKey}
	e.rules = append(e.rules, rule{name: SensitiveRule, fields: true, repl: Replace{Mode: ModeFull}})
	for i, r := range builtinRules() {
		c, err := compileRule(r, i, false)
		if err == nil {
			err = e.m.add(r, i, len(e.rules))
		}
		if err != nil {
			return nil, fmt.Errorf("built-in rule: %w", err) // a bug in this package
		}
		e.rules = append(e.rules, c)
	}
	e.nBuiltin = len(e.rules)
	for i, r := range rules {
		if strings.HasPrefix(r.Name, BuiltinRulePrefix) {
			return nil, &RuleError{Rule: r.Name, Index: i, Key: "name", Reason: "names starting with " + BuiltinRulePrefix + " are reserved for built-in rules"}
		}
		c, err := compileRule(r, i, cfg.hashKey != nil)
		if err != nil {
			return nil, err
		}
		if err := e.m.add(r, i, len(e.rules)); err != nil {
			return nil, err
		}
		e.rules = append(e.rules, c)
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
	e.xmlMsk = xmlEscape(nil, []byte(cfg.mask))
	e.formMsk = []byte(url.QueryEscape(cfg.mask))
	e.formB64 = []byte(url.QueryEscape(string(e.b64Msk)))
	return e, nil
}

// xmlEscape appends the character-data escaping of s.
func xmlEscape(dst, s []byte) []byte {
	var b bytes.Buffer
	_ = xml.EscapeText(&b, s) // writes to a bytes.Buffer cannot fail
	return append(dst, b.Bytes()...)
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
	// Hits counts the values each rule masked, per detector ("" for
	// values selected by field), in rule order: which rules fired and how
	// often, never what they masked.
	Hits []Hit
}

// Hit is how many values one rule (and detector) masked in one body.
type Hit struct {
	Rule     string
	Detector string // detect.Kind name or custom detector name; "" for a field match
	Count    int
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
	return e.Mask(contentType, Scope{Service: service, Operation: operation}, body)
}

// Mask is [Engine.Body] for a call whose caller may be known: rules
// restricted by Principals or Groups apply when scope.Principal matches
// them or is nil.
func (e *Engine) Mask(contentType string, scope Scope, body []byte) (Result, error) {
	service, operation := scope.Service, scope.Operation
	unchanged := Result{Body: body}
	if len(bytes.TrimSpace(body)) == 0 || isPayload(service, operation) {
		return unchanged, nil
	}
	f := formatOf(contentType, body)
	if f == formatOpaque {
		return unchanged, nil
	}
	r := e.getRun(service, operation)
	defer e.runs.Put(r)
	r.scope(&scope)
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
	return Result{Body: applyEdits(body, r.edits), Fields: r.fields, Changed: true, Hits: r.hitList()}, nil
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

// maxPooledScratch bounds the scratch a pooled run keeps, so one large
// body does not pin its buffers for good.
const maxPooledScratch = 1 << 20

// getRun returns a run reset for one Body call.
func (e *Engine) getRun(service, operation string) *run {
	r, _ := e.runs.Get().(*run)
	if r == nil || cap(r.arena) > maxPooledScratch || cap(r.edits) > maxPooledScratch/32 {
		r = &run{}
	}
	*r = run{
		e: e, service: service, operation: operation,
		applies: r.applies[:0], global: r.global[:0],
		path:  path{buf: r.path.buf[:0], segs: r.path.segs[:0]},
		edits: r.edits[:0], hits: r.hits[:0], scratch: r.scratch[:0], matched: r.matched[:0],
		repl: replacer{e: e, buf: r.repl.buf[:0]}, det: r.det, arena: r.arena[:0], text: r.text[:0],
	}
	return r
}

// run is the state of one Body call.
type run struct {
	e                  *Engine
	service, operation string
	applies            []bool // per rule: in scope for this call
	global             []int  // rules in scope with detectors and no fields: they scan every string
	dynamo             bool   // the service's strings under N/NS/B/BS are typed AttributeValues
	path               path
	edits              []edit
	fields             []string
	hits               []hitCount
	scratch            []byte
	sensitive          []string // names from WithSensitive for this call
	matched            []byte   // path of the current whole match, rendered
	matchedUsed        bool     // whether matched is already in fields
	noMerge            bool     // adjacent edits are separate values (CBOR array items)
	repl               replacer
	det                detector
	arena              []byte // replacement bytes of this call's edits
	text               []byte // a decoded value
}

type hitCount struct {
	rule int
	name string // detector name; "" for a field match
	n    int
}

// scope decides which rules apply to the call.
func (r *run) scope(s *Scope) {
	r.applies = slices.Grow(r.applies[:0], len(r.e.rules))[:len(r.e.rules)]
	clear(r.applies)
	for i := range r.e.rules {
		ru := &r.e.rules[i]
		if i < r.e.nBuiltin {
			r.applies[i] = i == 0 || ru.applies(s)
			continue
		}
		if !ru.applies(s) {
			continue
		}
		r.applies[i] = true
		if ru.detects() && !ru.fields {
			r.global = append(r.global, i)
		}
	}
	r.dynamo = strings.EqualFold(s.Service, "dynamodb") || strings.EqualFold(s.Service, "dynamodbstreams")
}

// root is the selection at the top of a document.
func root() selection { return selection{whole: -1} }

// selectAt returns the selection of the current path inside parent: an
// enclosing whole match covers everything under it; otherwise the rules
// and sensitive names are matched against the path.
func (r *run) selectAt(parent selection) selection {
	if parent.whole >= 0 {
		return parent
	}
	s := selection{whole: -1, dets: parent.dets[:len(parent.dets):len(parent.dets)]}
	r.scratch = r.e.m.match(&r.path, r.applies, r.e.rules, &s, r.scratch)
	if (s.whole < 0 || s.whole >= r.e.nBuiltin) && r.sensitiveMatch() {
		s.whole = 0
	}
	if s.whole >= 0 {
		r.matched = r.path.appendString(r.matched[:0])
		r.matchedUsed = false
	}
	return s
}

// active reports whether anything can change under s: a whole match, or
// detectors to run.
func (r *run) active(s selection) bool {
	return !s.noDetect && (s.whole >= 0 || len(s.dets) > 0 || len(r.global) > 0)
}

// sensitiveMatch reports whether the current path's last name is one of
// the call's sensitive names.
func (r *run) sensitiveMatch() bool {
	n := len(r.path.segs)
	if len(r.sensitive) == 0 || n == 0 || r.path.segs[n-1].transparent() {
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

// replace records an edit inside the current whole match and reports the
// match's path in fields on its first edit (a match whose values are all
// numbers or empty changes nothing and is not reported).
func (r *run) replace(start, end int64, repl []byte, ruleIdx int) {
	if n := len(r.edits); !r.noMerge && n > 0 && r.edits[n-1].end == int(start) && bytes.Equal(r.edits[n-1].repl, repl) {
		// Adjacent pieces of one value (XML text, CDATA, entity runs)
		// become a single mask.
		r.edits[n-1].end = int(end)
	} else {
		r.edits = append(r.edits, edit{start: int(start), end: int(end), repl: repl})
		r.hit(ruleIdx, "")
	}
	if r.matchedUsed {
		return
	}
	r.matchedUsed = true
	r.noteField(r.matched)
}

// spanEdit records an edit a detector made at the current path.
func (r *run) spanEdit(start, end int64, repl []byte) {
	r.edits = append(r.edits, edit{start: int(start), end: int(end), repl: repl})
}

// noteField adds a rendered path to fields once.
func (r *run) noteField(p []byte) {
	for _, f := range r.fields {
		if f == string(p) {
			return
		}
	}
	r.fields = append(r.fields, string(p))
}

// noteHere reports the current path in fields.
func (r *run) noteHere() {
	r.scratch = r.path.appendString(r.scratch[:0])
	r.noteField(r.scratch)
}

func (r *run) hit(ruleIdx int, name string) {
	for i := range r.hits {
		if h := &r.hits[i]; h.rule == ruleIdx && h.name == name {
			h.n++
			return
		}
	}
	r.hits = append(r.hits, hitCount{rule: ruleIdx, name: name, n: 1})
}

// hitList renders the counts in rule order.
func (r *run) hitList() []Hit {
	slices.SortStableFunc(r.hits, func(a, b hitCount) int { return a.rule - b.rule })
	out := make([]Hit, 0, len(r.hits))
	for _, h := range r.hits {
		out = append(out, Hit{Rule: r.e.rules[h.rule].name, Detector: h.name, Count: h.n})
	}
	return out
}

// keep copies b into the call's arena, for an edit's replacement.
func (r *run) keep(b []byte) []byte {
	start := len(r.arena)
	r.arena = append(r.arena, b...)
	return r.arena[start:len(r.arena):len(r.arena)]
}
