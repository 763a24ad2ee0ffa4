package awsmodel

// JSON 1.0 / 1.1 protocol: POST / with X-Amz-Target: <targetPrefix>.<Operation>
// and a JSON object body whose top-level members become Params.

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
)

func identifyJSON(cands []*service, target string, body []byte) (*Operation, error) {
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
	params, err := decodeJSONObject(body)
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w", found[0].svc.info.ID, name, err)
	}
	return newOperation(found[0], "json", params)
}

// decodeJSONObject decodes a JSON object body; an empty body is no params.
func decodeJSONObject(body []byte) (map[string]any, error) {
	if len(bytes.TrimSpace(body)) == 0 {
		return map[string]any{}, nil
	}
	var m map[string]any
	if err := json.Unmarshal(body, &m); err != nil {
		return nil, fmt.Errorf("%w: body is not a JSON object: %w", ErrMalformedRequest, err)
	}
	if m == nil { // body was "null"
		m = map[string]any{}
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
