// Package sigv4 verifies AWS Signature Version 4 requests as stock AWS
// clients send them (AWS CLI v1 / botocore, boto3, aws-sdk-go-v2).
//
// Verify takes a server-side *http.Request whose body has already been read,
// rebuilds the canonical request exactly as AWS defines it, and compares the
// signature with hmac.Equal. It handles:
//
//   - the Authorization header form and the presigned (query) form;
//   - S3-style paths (signed as sent) and every other service's paths
//     (each segment encoded a second time), chosen by the signing name;
//   - payload modes: a hex SHA-256 in X-Amz-Content-Sha256 (checked against
//     the body), UNSIGNED-PAYLOAD, STREAMING-UNSIGNED-PAYLOAD-TRAILER and
//     STREAMING-AWS4-HMAC-SHA256-PAYLOAD[-TRAILER] (aws-chunked bodies are
//     decoded, chunk signatures and trailer checksums verified), and the
//     body's own hash when the header is absent (non-S3 services);
//   - coverage, as AWS enforces it: every x-amz-* header present must be
//     signed (ErrUnsignedHeader); UNSIGNED-PAYLOAD and STREAMING-* only for
//     S3's signing names (s3, s3-object-lambda, s3-outposts, s3express),
//     every other service's body must match its signed SHA-256
//     (ErrPayloadNotSigned); SigV2 in either form is refused with a message
//     saying how to sign instead (ErrSigV2);
//   - session tokens: a token sent in a header must be signed, and is handed
//     to the Lookup with the access key id;
//   - time: header-form requests more than 15 minutes from now, and presigned
//     requests past X-Amz-Date + X-Amz-Expires (at most 7 days), are rejected.
//
// VerifyHeaders is the streaming form: it checks the signature before any
// body byte is read (the request must declare its payload hash or mode in
// X-Amz-Content-Sha256, or be presigned for S3), and Pending.Payload then
// verifies the body as it flows through a fixed buffer (the SHA-256, or
// aws-chunked chunk and trailer signatures, checksums and decoded length),
// reporting success only at the body's end. Nothing read from it may be
// acted on before io.EOF.
//
// Credentials is the pre-check: it reads the access key id, session token
// and scope a request claims without touching the body, so a server can
// open the session before it reads anything large. It vouches for nothing.
//
// Errors are sentinels from errors.go; Code maps any of them to the AWS error
// code a client expects, and HTTPStatus to the status to answer with. No error
// message carries a secret key, a session token or a signature.
//
// SigV4 does not stop replays inside the 15-minute window; callers that care
// must remember what they have seen (Result.Signature, hashed).
package sigv4
