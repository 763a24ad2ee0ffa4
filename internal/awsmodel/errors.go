package awsmodel

import "errors"

var (
	// ErrUnknownService means no service in the index matches the request's
	// hint (per-service path or SigV4 signing name) or the id asked for.
	ErrUnknownService = errors.New("awsmodel: unknown service")

	// ErrUnknownOperation means the candidate services were found but none of
	// their operations matches the request.
	ErrUnknownOperation = errors.New("awsmodel: unknown operation")

	// ErrAmbiguousOperation means operations of several services match the
	// request equally well (services sharing a signing name). Point the client
	// at a per-service endpoint path (/svc/<service-id>) to settle it.
	ErrAmbiguousOperation = errors.New("awsmodel: ambiguous operation")

	// ErrMalformedRequest means the request was identified but its body or a
	// parameter could not be decoded (invalid JSON or CBOR, a host prefix
	// label that is not a DNS label).
	ErrMalformedRequest = errors.New("awsmodel: malformed request")

	// ErrUnknownRegion means a region is not in any partition of the endpoint
	// table and does not match any partition's region pattern.
	ErrUnknownRegion = errors.New("awsmodel: unknown region")

	// ErrBadIndex means the embedded index could not be decoded; regenerate it
	// with go generate ./internal/awsmodel.
	ErrBadIndex = errors.New("awsmodel: bad index")
)
