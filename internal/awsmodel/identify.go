package awsmodel

import (
	"fmt"
	"mime"
	"net/http"
	"net/url"
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
	// Region is the region of the credential scope. Identify does not use it;
	// it is here so callers pass one value around.
	Region string
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
	//     members such as S3 Metadata), plus for rest-json the body's
	//     top-level members (or the payload member, when it is a structure).
	//     rest-xml bodies and blob payloads are not decoded.
	Params map[string]any
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
// strips a /svc/<id> path prefix.
func (ix *Index) Identify(r *http.Request, body []byte, hint Hint) (*Operation, error) {
	cands, err := ix.candidates(hint)
	if err != nil {
		return nil, err
	}
	path := r.URL.EscapedPath()
	if hint.Service != "" {
		if id, rest, ok := SplitServicePath(path); ok && id == hint.Service {
			path = rest
		}
	}
	if path == "" {
		path = "/"
	}
	var op *Operation
	switch {
	case r.Header.Get("X-Amz-Target") != "":
		op, err = identifyJSON(cands, r.Header.Get("X-Amz-Target"), body)
	case strings.EqualFold(r.Header.Get("Smithy-Protocol"), "rpc-v2-cbor"):
		op, err = identifyCBOR(ix.cbor, cands, path, body)
	default:
		if form, ok := queryForm(r, body, cands); ok {
			op, err = identifyQuery(cands, form)
		} else {
			op, err = identifyREST(cands, r, path, body)
		}
	}
	if err != nil {
		return nil, err
	}
	op.Path = path
	return op, nil
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
	return &Operation{
		Service:     o.svc.info.ID,
		Name:        o.Name,
		Protocol:    protocol,
		SigningName: o.svc.info.SigningName,
		ReadOnly:    o.ReadOnly,
		Effects:     effectNames(o.Effects),
		HostPrefix:  hp,
		Params:      params,
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

// queryForm returns the query-protocol parameters (URL query merged with a
// form body) when the request carries Action= and a candidate speaks query
// or EC2.
func queryForm(r *http.Request, body []byte, cands []*service) (url.Values, bool) {
	speaks := false
	for _, s := range cands {
		if s.speaks("query") || s.speaks("ec2") {
			speaks = true
			break
		}
	}
	if !speaks {
		return nil, false
	}
	form := url.Values{}
	for k, v := range r.URL.Query() {
		form[k] = v
	}
	if len(body) > 0 && isForm(r) {
		bf, err := url.ParseQuery(string(body))
		if err != nil {
			return nil, false
		}
		for k, v := range bf {
			form[k] = append(form[k], v...)
		}
	}
	if form.Get("Action") == "" {
		return nil, false
	}
	return form, true
}
