package awsmodel

// Query and EC2 protocols: POST / with a form body (or GET with a query
// string) carrying Action=<Operation>&Version=<apiVersion>&<flattened params>.
// queryForm (identify.go) has already made sure every key is given once, in
// one place, in one case.

import (
	"fmt"
	"net/url"
	"strings"
)

// isPresignParam reports SigV4 query parameters, never operation inputs.
func isPresignParam(k string) bool {
	switch k {
	case "X-Amz-Algorithm", "X-Amz-Credential", "X-Amz-Date", "X-Amz-Expires",
		"X-Amz-SignedHeaders", "X-Amz-Signature", "X-Amz-Security-Token":
		return true
	}
	return false
}

func identifyQuery(cands []*service, form url.Values) (*Operation, error) {
	name := form.Get("Action")
	found, _, err := lookup(cands, name, func(s *service) bool { return s.speaks("query") || s.speaks("ec2") })
	if err != nil {
		return nil, err
	}
	switch len(found) {
	case 0:
		return nil, fmt.Errorf("%w: Action=%s is in none of [%s]", ErrUnknownOperation, name, serviceIDs(cands))
	case 1:
	default:
		return nil, ambiguous(name, found)
	}
	params := make(map[string]any, len(form))
	for k, v := range form {
		if k == "Action" || k == "Version" || isPresignParam(k) || len(v) == 0 {
			continue
		}
		params[k] = v[0]
	}
	protocol := "query"
	if found[0].svc.speaks("ec2") {
		protocol = "ec2"
	} else if err := modelSpelling(topLevelKeys(params), found[0].Body); err != nil {
		// The query protocol's wire names are the member names (botocore
		// 1.43: no top-level member or flattened list is spelled otherwise
		// but for case). EC2's are not (InstanceIds goes as InstanceId.N),
		// and the index does not carry them, so EC2 is not checked.
		return nil, fmt.Errorf("%s %s: %w", found[0].svc.info.ID, name, err)
	}
	return newOperation(found[0], protocol, params)
}

// topLevelKeys maps each flattened key's first segment ("Tags" of
// "Tags.member.1.Key") to nil, for modelSpelling.
func topLevelKeys(params map[string]any) map[string]any {
	out := make(map[string]any, len(params))
	for k := range params {
		first, _, _ := strings.Cut(k, ".")
		out[first] = nil
	}
	return out
}
