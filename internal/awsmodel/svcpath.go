package awsmodel

import "strings"

// ServicePathPrefix starts a per-service endpoint path: clients configured
// with AWS_ENDPOINT_URL_DYNAMODB=http://gw/svc/dynamodb send /svc/dynamodb/...
const ServicePathPrefix = "/svc/"

// SplitServicePath splits a per-service endpoint path "/svc/<id>/<rest>" into
// the service id and the rest of the path ("/" when nothing follows). ok is
// false when path does not start with /svc/ or the id is not a plausible
// botocore id (lower-case letters, digits, '-'). It does not check that the
// service exists: use Index.Service. path may be escaped or not; rest keeps
// whatever form path had.
func SplitServicePath(path string) (serviceID, rest string, ok bool) {
	after, found := strings.CutPrefix(path, ServicePathPrefix)
	if !found {
		return "", "", false
	}
	id, tail, hasTail := strings.Cut(after, "/")
	if !isServiceID(id) {
		return "", "", false
	}
	if !hasTail {
		return id, "/", true
	}
	return id, "/" + tail, true
}

func isServiceID(s string) bool {
	if s == "" || len(s) > 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-') {
			return false
		}
	}
	return true
}
