package awsmodel

import (
	"fmt"
	"mime"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strings"
)

// Hint narrows the services Identify considers.
type Hint struct {
	// Service is the service id settled by a per-service endpoint path
	// (/svc/dynamodb/...); "" if none. When set, only this service is tried
	// and a leading "/svc/<Service>" is stripped from the request path.
	Service string
	// SigningName is the service part of the SigV4 credential scope. When
	// Service is empty, every service signing with this name is tried. When
	// both are empty, every service is tried.
	SigningName string
	// Region is the region of the credential scope. Identify refuses one
	// that is not a region but an endpoint name of the identified service
	// ("aws-global", "fips-us-east-1"): policy would judge that name while
	// the call runs in the endpoint's region. "" is not checked.
	Region string
	// SignedHeaders are the lower-case header names the agent signed. When
	// not nil, Identify refuses (ErrUnsignedInput) a request in which a
	// header it reads to pick or fill the operation is present but not
	// signed: X-Amz-Target, Smithy-Protocol, Content-Type where it decides
	// the protocol, and every header or header-prefix member bound by any
	// REST route of the same method and path. nil means "do not check" (for
	// callers without a signature).
	SignedHeaders []string
}

// Operation is an identified request.
type Operation struct {
	Service     string // botocore service id, e.g. "s3"
	Name        string // e.g. "PutObject"
	Protocol    string // protocol of this request: "query", "ec2", "json", "rest-json", "rest-xml" or "smithy-rpc-v2-cbor"
	SigningName string // the service's SigV4 signing name
	ReadOnly    bool   // see OperationInfo.ReadOnly
	// Effects are the operation's effect classes (see Index.Effects).
	Effects []string
	// TokenMember names the operation's idempotency-token member (see
	// TokenMember), "" when it has none.
	TokenMember string
	// IdempotencyToken is the value this request carries for TokenMember
	// ("" when the operation has none or the request leaves it out; SDKs
	// fill it). A request with one is run once by AWS however often the
	// same bytes are sent: the executor may retry it after a crash.
	IdempotencyToken string
	// Path is the escaped request path with any /svc/<id> prefix removed:
	// the path to send to the real endpoint.
	Path string
	// HostPrefix is the operation's endpoint host prefix with its labels
	// filled from Params (e.g. "123456789012." for s3control); prepend it to
	// the endpoint host. Empty for most operations.
	HostPrefix string
	// Params are the identified input parameters:
	//   - JSON, CBOR: the body's top-level members, as decoded (JSON numbers
	//     are float64).
	//   - query, EC2: every form / URL query parameter except Action and
	//     Version, by the flattened name as sent ("Tags.member.1.Key"), as string.
	//   - REST: URI labels, querystring and header members by member name
	//     (string; []string for list members; map[string]string for map
	//     members such as S3 Metadata), plus the body's top-level members
	//     (or the payload member, when it is a structure): rest-json as
	//     decoded, rest-xml generically (see restxml.go). Blob payloads are
	//     not decoded.
	Params map[string]any
	// BlobPayload: the body is the operation's blob (or string) payload
	// member (S3 PutObject, UploadPart), which identification never reads,
	// and no candidate service could read the request differently with a
	// body: it is identified the same with or without its body, so the
	// body may stream past the gateway without being held whole.
	BlobPayload bool
}

// candidates are the services a request may belong to.
func (ix *Index) candidates(h Hint) ([]*service, error) {
	if h.Service != "" {
		s, ok := ix.services[h.Service]
		if !ok {
			return nil, fmt.Errorf("%w: no service %q (from the endpoint path)", ErrUnknownService, h.Service)
		}
		if h.SigningName != "" && h.SigningName != s.info.SigningName && h.SigningName != s.info.EndpointPrefix {
			return nil, fmt.Errorf("%w: request signed for %q but sent to the path of service %q, which signs as %q",
				ErrUnknownService, h.SigningName, h.Service, s.info.SigningName)
		}
		return []*service{s}, nil
	}
	if h.SigningName != "" {
		c := ix.bySigning[h.SigningName]
		if len(c) == 0 {
			return nil, fmt.Errorf("%w: no service signs as %q", ErrUnknownService, h.SigningName)
		}
		return c, nil
	}
	all := make([]*service, 0, len(ix.ids))
	for _, id := range ix.ids {
		all = append(all, ix.services[id])
	}
	return all, nil
}

// Identify determines the service and operation of r, whose (decoded, not
// aws-chunked) body is body, and extracts its parameters. r.Body is not read.
// See the package documentation for the rules and for how Hint.Service
// strips a /svc/<id> path prefix. A request that could be read more than
// one way fails with ErrAmbiguousRequest; with Hint.SignedHeaders set, one
// whose operation depends on an unsigned header fails with ErrUnsignedInput.
func (ix *Index) Identify(r *http.Request, body []byte, hint Hint) (*Operation, error) {
	cands, err := ix.candidates(hint)
	if err != nil {
		return nil, err
	}
	rq, err := newRequest(r, body, hint)
	if err != nil {
		return nil, err
	}
	target, err := singleHeader(r.Header, "X-Amz-Target")
	if err != nil {
		return nil, err
	}
	smithy, err := singleHeader(r.Header, "Smithy-Protocol")
	if err != nil {
		return nil, err
	}
	var op *Operation
	switch {
	case target != "" && smithy != "":
		return nil, fmt.Errorf("%w: request has both X-Amz-Target (JSON) and Smithy-Protocol (%s)", ErrAmbiguousRequest, smithy)
	case target != "":
		op, err = identifyJSON(cands, rq, target)
	case smithy != "":
		op, err = identifyCBOR(ix.cbor, cands, rq, smithy)
	default:
		var form url.Values
		form, err = queryForm(rq, cands)
		switch {
		case err != nil:
		case form != nil:
			op, err = identifyQuery(cands, form)
		default:
			op, err = identifyREST(cands, rq)
		}
	}
	if err != nil {
		return nil, err
	}
	for k, v := range op.Params {
		if err := checkParamStrings(v, k); err != nil {
			return nil, fmt.Errorf("%s %s: %w", op.Service, op.Name, err)
		}
	}
	op.Path = rq.path
	if runsIn, pseudo := ix.pseudoRegion(op.Service, hint.Region); pseudo {
		return nil, fmt.Errorf("%w: credential scope region %q is not a region but an endpoint name of %s, which runs the call in %s; sign with the region itself",
			ErrAmbiguousRequest, hint.Region, op.Service, runsIn)
	}
	for _, c := range cands {
		// A form body with Action= would make this a query-protocol
		// request for such a candidate: the reading would depend on a
		// body identification did not see.
		if c.speaks("query") || c.speaks("ec2") {
			op.BlobPayload = false
		}
	}
	return op, nil
}

// request is what Identify reads of an HTTP request, parsed once and
// strictly.
type request struct {
	r      *http.Request
	body   []byte
	path   string      // escaped, /svc/<id> removed, "/" at least
	query  []queryPair // the URL query, in order
	signed map[string]bool
}

func newRequest(r *http.Request, body []byte, hint Hint) (*request, error) {
	full := r.URL.EscapedPath()
	if err := checkDotSegments(full); err != nil {
		return nil, err
	}
	if err := checkMethodOverride(r.Header); err != nil {
		return nil, err
	}
	path := full
	if hint.Service != "" {
		if id, rest, ok := SplitServicePath(path); ok && id == hint.Service {
			path = rest
		} else if id, _, ok := SplitServicePath(r.URL.Path); ok && id == hint.Service {
			// The decoded path names the service ("/svc%2Fs3/b"), the path
			// as sent does not: the prefix would stay in the path the
			// upstream reads (as bucket "svc/s3") while the caller chose
			// the service by it.
			return nil, fmt.Errorf("%w: path %q carries the per-service prefix %s%s percent-encoded; send it as is",
				ErrAmbiguousRequest, full, ServicePathPrefix, hint.Service)
		}
	}
	if path == "" {
		path = "/"
	}
	query, err := parseQueryStrict(r.URL.RawQuery, "URL query")
	if err != nil {
		return nil, err
	}
	return &request{r: r, body: body, path: path, query: query, signed: signedSet(hint.SignedHeaders)}, nil
}

// protocolHeaders checks the headers that chose the protocol: each is
// single, signed (when signatures are checked) and not shadowed by a
// '_'-spelled alias; Content-Type, when present, must be one of want.
func (rq *request) protocolHeaders(protocol string, names []string, want ...string) error {
	var hr headerReads
	for _, n := range names {
		hr.add(n)
	}
	ct, err := singleHeader(rq.r.Header, "Content-Type")
	if err != nil {
		return err
	}
	if ct != "" && len(want) > 0 {
		hr.add("Content-Type")
		mt, params, err := mime.ParseMediaType(ct)
		if err != nil || !slices.Contains(want, mt) {
			return fmt.Errorf("%w: %s request has Content-Type %q; want %s", ErrAmbiguousRequest, protocol, ct, strings.Join(want, " or "))
		}
		if cs, ok := params["charset"]; ok && !strings.EqualFold(cs, "utf-8") {
			// The gateway reads the body as UTF-8; a server that honours
			// the charset (UTF-16, UTF-7, Latin-1) would read other
			// parameters from the same bytes.
			return fmt.Errorf("%w: %s request has Content-Type %q; the body must be UTF-8 (charset=utf-8 or none)", ErrAmbiguousRequest, protocol, ct)
		}
	}
	return hr.check(rq.r.Header, rq.signed)
}

// newOperation fills the service-level fields of an Operation.
func newOperation(o *operation, protocol string, params map[string]any) (*Operation, error) {
	if params == nil {
		params = map[string]any{}
	}
	hp, err := hostPrefix(o.HostPrefix, params)
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w", o.svc.info.ID, o.Name, err)
	}
	tokenMember := ""
	if o.Token != nil {
		tokenMember = o.Token.Name
	}
	return &Operation{
		TokenMember:      tokenMember,
		IdempotencyToken: requestToken(o, protocol, params),
		Service:          o.svc.info.ID,
		Name:             o.Name,
		Protocol:         protocol,
		SigningName:      o.svc.info.SigningName,
		ReadOnly:         o.ReadOnly,
		Effects:          effectNames(o.Effects),
		HostPrefix:       hp,
		Params:           params,
		BlobPayload:      o.Payload != "" && !o.PayloadStruct,
	}, nil
}

// hostPrefix fills the {Label}s of tmpl from params. Label values must be
// DNS labels, so a parameter can never add a dot or steer the host.
func hostPrefix(tmpl string, params map[string]any) (string, error) {
	if !strings.Contains(tmpl, "{") {
		return tmpl, nil
	}
	var b strings.Builder
	for rest := tmpl; rest != ""; {
		i := strings.IndexByte(rest, '{')
		if i < 0 {
			b.WriteString(rest)
			break
		}
		j := strings.IndexByte(rest[i:], '}')
		if j < 0 {
			return "", fmt.Errorf("%w: host prefix %q is unterminated", ErrMalformedRequest, tmpl)
		}
		name := rest[i+1 : i+j]
		v, _ := params[name].(string)
		if !isDNSLabel(v) {
			return "", fmt.Errorf("%w: host prefix parameter %s must be a DNS label (letters, digits, '-')", ErrMalformedRequest, name)
		}
		b.WriteString(rest[:i])
		b.WriteString(v)
		rest = rest[i+j+1:]
	}
	return b.String(), nil
}

func isDNSLabel(s string) bool {
	if s == "" || len(s) > 63 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-') {
			return false
		}
	}
	return true
}

// serviceIDs lists candidates for error messages (at most a few).
func serviceIDs(cands []*service) string {
	ids := make([]string, 0, len(cands))
	for _, s := range cands {
		ids = append(ids, s.info.ID)
	}
	sort.Strings(ids)
	if len(ids) > 6 {
		return strings.Join(ids[:6], ", ") + fmt.Sprintf(" and %d more", len(ids)-6)
	}
	return strings.Join(ids, ", ")
}

// isForm reports whether the request body is form-encoded.
func isForm(r *http.Request) bool {
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	return err == nil && mt == "application/x-www-form-urlencoded"
}

// queryForm returns the query-protocol parameters when the request carries
// Action= and a candidate speaks query or EC2, and nil when it is not a
// query-protocol request. One reading only: with a form body the URL query
// may carry only presign parameters; no key twice; no two keys equal but for
// case (Action and action); a body that is not form-encoded is refused.
func queryForm(rq *request, cands []*service) (url.Values, error) {
	speaks, rest := false, false
	for _, s := range cands {
		speaks = speaks || s.speaks("query") || s.speaks("ec2")
		rest = rest || s.speaks("rest-json") || s.speaks("rest-xml")
	}
	if !speaks {
		return nil, nil
	}
	formBody := len(rq.body) > 0 && isForm(rq.r)
	var posted []queryPair
	if formBody {
		var err error
		if posted, err = parseQueryStrict(string(rq.body), "form body"); err != nil {
			return nil, err
		}
	}
	hasAction := func(pairs []queryPair) bool {
		return slices.ContainsFunc(pairs, func(p queryPair) bool { return strings.EqualFold(p.key, "Action") })
	}
	switch {
	case !hasAction(rq.query) && !hasAction(posted):
		if !rest && len(rq.body) > 0 && !formBody {
			return nil, fmt.Errorf("%w: a request body for [%s] must be form-encoded (Content-Type: application/x-www-form-urlencoded) with Action=",
				ErrAmbiguousRequest, serviceIDs(cands))
		}
		return nil, nil // not a query-protocol request
	case len(rq.body) > 0 && !formBody:
		return nil, fmt.Errorf("%w: query-protocol request (Action=) has a body that is not form-encoded (Content-Type %q)",
			ErrAmbiguousRequest, rq.r.Header.Get("Content-Type"))
	}
	if formBody {
		for _, p := range rq.query {
			if !isPresignParam(p.key) {
				return nil, fmt.Errorf("%w: %q is in the URL query of a request with a form body; send every parameter in the body only",
					ErrAmbiguousRequest, p.key)
			}
		}
	}
	all := append(slices.Clone(rq.query), posted...)
	if err := checkKeys(all, "query-protocol request", nil); err != nil {
		return nil, err
	}
	if err := checkQueryIndexes(all, "query-protocol request"); err != nil {
		return nil, err
	}
	form := values(all)
	if _, ok := form["Action"]; !ok {
		return nil, fmt.Errorf("%w: the Action parameter must be spelled \"Action\"", ErrAmbiguousRequest)
	}
	if err := rootPathOnly(rq.path, "query-protocol"); err != nil {
		return nil, err
	}
	var want []string
	if formBody {
		want = []string{"application/x-www-form-urlencoded"}
	}
	if err := rq.protocolHeaders("query-protocol", nil, want...); err != nil {
		return nil, err
	}
	return form, nil
}
