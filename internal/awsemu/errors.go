package awsemu

import "errors"

// Reasons a request is refused. Each maps to the AWS error code the proxy
// answers with (see code).
var (
	// ErrUnsigned reports a request without a SigV4 Authorization header.
	ErrUnsigned = errors.New("awsemu: request is not signed with SigV4 in the Authorization header")
	// ErrPresigned reports a query-signed (presigned) request; the gateway
	// always signs in headers.
	ErrPresigned = errors.New("awsemu: presigned requests are not accepted")
	// ErrMalformedAuth reports an Authorization header that does not parse.
	ErrMalformedAuth = errors.New("awsemu: malformed Authorization header")
	// ErrUnknownKey reports a signature by a key other than the gateway's.
	ErrUnknownKey = errors.New("awsemu: request signed by an unknown access key id")
	// ErrBadToken reports a missing or wrong X-Amz-Security-Token.
	ErrBadToken = errors.New("awsemu: security token does not match")
	// ErrSkew reports an X-Amz-Date too far from now (more than 15 minutes).
	ErrSkew = errors.New("awsemu: request time too skewed")
	// ErrPayloadHash reports an X-Amz-Content-Sha256 that does not match the body.
	ErrPayloadHash = errors.New("awsemu: x-amz-content-sha256 does not match the body")
	// ErrSignature reports a signature that does not verify.
	ErrSignature = errors.New("awsemu: signature does not match")
)

// code is the AWS error code for a refusal.
func code(err error) string {
	switch {
	case errors.Is(err, ErrUnsigned):
		return "MissingAuthenticationToken"
	case errors.Is(err, ErrUnknownKey):
		return "InvalidAccessKeyId"
	case errors.Is(err, ErrBadToken):
		return "InvalidToken"
	case errors.Is(err, ErrSkew):
		return "RequestTimeTooSkewed"
	case errors.Is(err, ErrPayloadHash):
		return "XAmzContentSHA256Mismatch"
	case errors.Is(err, ErrSignature):
		return "SignatureDoesNotMatch"
	default:
		return "AccessDenied"
	}
}
