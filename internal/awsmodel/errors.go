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

	// ErrAmbiguousRequest means the request could be read more than one way
	// (by AWS, a front end or an emulator) and is refused: dot or empty path
	// segments, a parameter in the URL and in the body, a key given twice or
	// in two cases, a protocol signal that disagrees with the body, a query
	// key the operation does not model, an x-id that is not the operation.
	// The message names what was ambiguous. It may be an attack: callers
	// record it as a security event.
	ErrAmbiguousRequest = errors.New("awsmodel: ambiguous request")

	// ErrUnsignedInput means a header that picks or fills the operation
	// (X-Amz-Target, Content-Type, x-amz-copy-source, ...) was present but not
	// covered by the signature (Hint.SignedHeaders), so anyone on the path
	// could have added it. Sign every header the operation reads.
	ErrUnsignedInput = errors.New("awsmodel: unsigned input")

	// ErrUnknownRegion means a region is not in any partition of the endpoint
	// table and does not match any partition's region pattern.
	ErrUnknownRegion = errors.New("awsmodel: unknown region")

	// ErrBadIndex means the embedded index could not be decoded; regenerate it
	// with go generate ./internal/awsmodel.
	ErrBadIndex = errors.New("awsmodel: bad index")
)
