package sigv4

import (
	"errors"
	"fmt"
	"net/http"
)

// Sentinel errors returned (wrapped) by Verify and DecodeAWSChunked. Test
// them with errors.Is; Code and HTTPStatus map them to AWS's wire shape.
var (
	// ErrMissingAuth means the request carries no SigV4 authentication at all
	// (no Authorization header and no X-Amz-Signature query parameter).
	ErrMissingAuth = errors.New("sigv4: request is not signed")

	// ErrMalformedAuth means the Authorization header or the presign query
	// parameters are present but cannot be parsed or are inconsistent.
	ErrMalformedAuth = errors.New("sigv4: malformed authorization")

	// ErrUnsupportedAlgorithm means the request is signed with something other
	// than AWS4-HMAC-SHA256 (SigV2, SigV4a). It wraps ErrMalformedAuth.
	ErrUnsupportedAlgorithm = fmt.Errorf("%w: unsupported signing algorithm", ErrMalformedAuth)

	// ErrSecurityTokenNotSigned means X-Amz-Security-Token was sent as a
	// header but is not listed in SignedHeaders.
	ErrSecurityTokenNotSigned = errors.New("sigv4: x-amz-security-token must be a signed header")

	// ErrExpired means the request's time is unacceptable. ErrTimeSkewed and
	// ErrPresignExpired wrap it.
	ErrExpired = errors.New("sigv4: request expired")

	// ErrTimeSkewed means X-Amz-Date is more than 15 minutes away from now
	// (or a presigned request is dated in the future). It wraps ErrExpired.
	ErrTimeSkewed = fmt.Errorf("%w: request time too skewed", ErrExpired)

	// ErrPresignExpired means now is past X-Amz-Date + X-Amz-Expires. It
	// wraps ErrExpired.
	ErrPresignExpired = fmt.Errorf("%w: presigned request has expired", ErrExpired)

	// ErrUnknownCredentials means the Lookup rejected the access key id or
	// the session token; the Lookup's own error is wrapped too.
	ErrUnknownCredentials = errors.New("sigv4: unknown or expired credentials")

	// ErrSignatureMismatch means the signature (or a chunk or trailer
	// signature) does not match what the credentials produce.
	ErrSignatureMismatch = errors.New("sigv4: signature does not match")

	// ErrPayloadHashMismatch means X-Amz-Content-Sha256 is a hex hash that is
	// not the SHA-256 of the body.
	ErrPayloadHashMismatch = errors.New("sigv4: x-amz-content-sha256 does not match the body")

	// ErrUnsupportedPayload means X-Amz-Content-Sha256 names a payload mode
	// this package does not verify (SigV4a streaming) or is not a valid value.
	ErrUnsupportedPayload = errors.New("sigv4: unsupported payload signing mode")

	// ErrMalformedChunkedBody means an aws-chunked body cannot be decoded.
	ErrMalformedChunkedBody = errors.New("sigv4: malformed aws-chunked body")

	// ErrDecodedLengthMismatch means x-amz-decoded-content-length differs
	// from the length of the decoded aws-chunked body.
	ErrDecodedLengthMismatch = errors.New("sigv4: x-amz-decoded-content-length does not match the decoded body")

	// ErrChecksumMismatch means an x-amz-checksum-* trailer does not match
	// the decoded body.
	ErrChecksumMismatch = errors.New("sigv4: trailing checksum does not match the body")

	// ErrUnsignedHeader means an x-amz-* header is present but not covered
	// by the signature. AWS refuses such requests too: an unsigned
	// x-amz-copy-source or x-amz-acl would change what runs without the
	// signer having agreed to it.
	ErrUnsignedHeader = errors.New("sigv4: x-amz-* headers present but not signed")

	// ErrPayloadNotSigned means the payload mode leaves the body outside the
	// signature (UNSIGNED-PAYLOAD, STREAMING-*) for a signing name other than
	// S3's: AWS accepts those modes only for S3, so for every other service
	// the body's SHA-256 must be signed. It wraps ErrUnsupportedPayload.
	ErrPayloadNotSigned = fmt.Errorf("%w: the body must be signed", ErrUnsupportedPayload)

	// ErrPayloadHashNotDeclared means VerifyHeaders cannot verify a request
	// before its body is read: the request signs the body's SHA-256 without
	// declaring it in X-Amz-Content-Sha256 (what non-S3 clients do). Read
	// the body and call Verify.
	ErrPayloadHashNotDeclared = errors.New("sigv4: the payload hash is not declared; the body must be read first")

	// ErrSigV2 means the request is signed with Signature Version 2 (an
	// "Authorization: AWS akid:signature" header, or AWSAccessKeyId,
	// Signature and Expires query parameters). jitgate verifies SigV4 only.
	ErrSigV2 = errors.New("sigv4: SigV2 signatures are not accepted")
)

// Code returns the AWS error code a client expects for err, or "" when err
// is nil. Unknown errors map to "AccessDenied" (default deny).
//
// Codes are the generic ones; a protocol-specific answer may rename them
// (S3 says InvalidAccessKeyId where other services say InvalidClientTokenId).
func Code(err error) string {
	switch {
	case err == nil:
		return ""
	case errors.Is(err, ErrMissingAuth):
		return "MissingAuthenticationToken"
	case errors.Is(err, ErrSigV2):
		return "InvalidRequest"
	case errors.Is(err, ErrUnsignedHeader):
		return "AccessDenied"
	case errors.Is(err, ErrMalformedAuth), errors.Is(err, ErrSecurityTokenNotSigned):
		return "IncompleteSignature"
	case errors.Is(err, ErrTimeSkewed):
		return "RequestTimeTooSkewed"
	case errors.Is(err, ErrExpired):
		return "AccessDenied"
	case errors.Is(err, ErrUnknownCredentials):
		return "InvalidClientTokenId"
	case errors.Is(err, ErrSignatureMismatch):
		return "SignatureDoesNotMatch"
	case errors.Is(err, ErrPayloadHashMismatch):
		return "XAmzContentSHA256Mismatch"
	case errors.Is(err, ErrChecksumMismatch):
		return "BadDigest"
	case errors.Is(err, ErrDecodedLengthMismatch):
		return "IncompleteBody"
	case errors.Is(err, ErrUnsupportedPayload), errors.Is(err, ErrMalformedChunkedBody):
		return "InvalidRequest"
	default:
		return "AccessDenied"
	}
}

// HTTPStatus returns the HTTP status to answer err with: 400 for requests
// that are malformed, 403 for everything that fails authentication, and 200
// for nil.
func HTTPStatus(err error) int {
	switch {
	case err == nil:
		return http.StatusOK
	case errors.Is(err, ErrMalformedAuth),
		errors.Is(err, ErrSecurityTokenNotSigned),
		errors.Is(err, ErrPayloadHashMismatch),
		errors.Is(err, ErrChecksumMismatch),
		errors.Is(err, ErrDecodedLengthMismatch),
		errors.Is(err, ErrUnsupportedPayload),
		errors.Is(err, ErrMalformedChunkedBody),
		errors.Is(err, ErrSigV2):
		return http.StatusBadRequest
	default:
		return http.StatusForbidden
	}
}
