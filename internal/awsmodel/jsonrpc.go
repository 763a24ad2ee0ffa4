package awsmodel

// JSON 1.0 / 1.1 protocol: POST / with X-Amz-Target: <targetPrefix>.<Operation>
// and a JSON object body whose top-level members become Params. One reading:
// the path is /, the URL query holds presign parameters only, Content-Type
// (when sent) is application/x-amz-json-<the service's jsonVersion>, and no
// object in the body has a member twice or two members equal but for case.

import (
	"bytes"
	"errors"
	"fmt"
	"strings"

	"github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"
)

const (
	ctJSON10 = "application/x-amz-json-1.0"
	ctJSON11 = "application/x-amz-json-1.1"
)

func identifyJSON(cands []*service, rq *request, target string) (*Operation, error) {
	if err := rq.protocolHeaders("JSON", []string{"X-Amz-Target"}, ctJSON10, ctJSON11); err != nil {
		return nil, err
	}
	if err := onlyPresign(rq.query, "JSON"); err != nil {
		return nil, err
	}
	if err := rootPathOnly(rq.path, "JSON"); err != nil {
		return nil, err
	}
	i := strings.LastIndexByte(target, '.')
	if i <= 0 || i == len(target)-1 {
		return nil, fmt.Errorf("%w: X-Amz-Target %q is not <prefix>.<operation>", ErrUnknownOperation, target)
	}
	prefix, name := target[:i], target[i+1:]
	found, prefixKnown, err := lookup(cands, name, func(s *service) bool {
		return s.info.TargetPrefix == prefix && s.speaks("json")
	})
	if err != nil {
		return nil, err
	}
	switch {
	case len(found) == 0 && !prefixKnown:
		return nil, fmt.Errorf("%w: X-Amz-Target prefix %q belongs to none of [%s]", ErrUnknownService, prefix, serviceIDs(cands))
	case len(found) == 0:
		return nil, fmt.Errorf("%w: X-Amz-Target %q: no operation %q in target prefix %q", ErrUnknownOperation, target, name, prefix)
	case len(found) > 1:
		return nil, ambiguous(name, found)
	}
	info := found[0].svc.info
	if ct := rq.r.Header.Get("Content-Type"); ct != "" && info.JSONVersion != "" &&
		!strings.HasPrefix(ct, "application/x-amz-json-"+info.JSONVersion) {
		return nil, fmt.Errorf("%w: %s speaks JSON %s but the request has Content-Type %q", ErrAmbiguousRequest, info.ID, info.JSONVersion, ct)
	}
	params, err := decodeJSONObject(rq.body)
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w", info.ID, name, err)
	}
	if err := modelSpelling(params, found[0].Body); err != nil {
		return nil, fmt.Errorf("%s %s: %w", info.ID, name, err)
	}
	return newOperation(found[0], "json", params)
}

// modelSpelling refuses a top-level member spelled otherwise than the model
// spells one of the operation's members ("certificatearn" for
// CertificateArn): the gateway would judge an unknown member while a
// service that matches names case-insensitively runs the modelled one.
// Members the model does not know in any spelling pass (newer SDKs send
// members this index may lack).
func modelSpelling(params map[string]any, members []string) error {
	if len(members) == 0 {
		return nil
	}
	byFold := make(map[string]string, len(members))
	for _, m := range members {
		byFold[foldKey(m)] = m
	}
	for k := range params {
		if m, ok := byFold[foldKey(k)]; ok && m != k {
			return fmt.Errorf("%w: JSON member %q is spelled %q in the model", ErrAmbiguousRequest, k, m)
		}
	}
	return nil
}

// decodeJSONObject decodes a JSON object body; an empty body is no params.
// Duplicate member names and names equal but for case, at any depth, are
// refused (ErrAmbiguousRequest): parsers that keep the first, keep the last
// or match names case-insensitively would each read another request.
// Invalid UTF-8 and trailing data are malformed.
func decodeJSONObject(body []byte) (map[string]any, error) {
	if len(bytes.TrimSpace(body)) == 0 {
		return map[string]any{}, nil
	}
	var v any
	if err := json.Unmarshal(body, &v); err != nil {
		if errors.Is(err, jsontext.ErrDuplicateName) {
			return nil, fmt.Errorf("%w: JSON body has a member twice: %w", ErrAmbiguousRequest, err)
		}
		return nil, fmt.Errorf("%w: body is not a JSON object: %w", ErrMalformedRequest, err)
	}
	if v == nil { // body was "null"
		return map[string]any{}, nil
	}
	m, ok := v.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("%w: body is not a JSON object", ErrMalformedRequest)
	}
	if err := checkFoldedMembers(m, "$"); err != nil {
		return nil, err
	}
	return m, nil
}

// ambiguous reports operations of several services matching one request.
// lookup finds operation name in the candidate services that accepts
// keeps. accepted reports whether any service was kept, so callers can tell
// an unknown service from an unknown operation.
func lookup(cands []*service, name string, accepts func(*service) bool) (found []*operation, accepted bool, err error) {
	for _, s := range cands {
		if !accepts(s) {
			continue
		}
		accepted = true
		o, ok, err := s.op(name)
		if err != nil {
			return nil, accepted, err
		}
		if ok {
			found = append(found, o)
		}
	}
	return found, accepted, nil
}

func ambiguous(name string, found []*operation) error {
	ids := make([]string, 0, len(found))
	for _, o := range found {
		ids = append(ids, o.svc.info.ID)
	}
	return fmt.Errorf("%w: %s matches services %s; point the client at the per-service endpoint path /svc/<service-id> (e.g. AWS_ENDPOINT_URL_%s=<gateway>/svc/%s)",
		ErrAmbiguousOperation, name, strings.Join(ids, ", "), envName(ids[0]), ids[0])
}

// envName is the AWS_ENDPOINT_URL_<SERVICE> suffix for a botocore id.
func envName(id string) string {
	return strings.ToUpper(strings.NewReplacer("-", "_", " ", "_").Replace(id))
}
