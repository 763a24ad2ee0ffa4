package sigv4

import (
	"errors"
	"fmt"
	"net/http"
	"testing"
)

func TestCode(t *testing.T) {
	tests := []struct {
		err    error
		code   string
		status int
	}{
		{nil, "", http.StatusOK},
		{ErrMissingAuth, "MissingAuthenticationToken", http.StatusForbidden},
		{ErrMalformedAuth, "IncompleteSignature", http.StatusBadRequest},
		{fmt.Errorf("x: %w", ErrUnsupportedAlgorithm), "IncompleteSignature", http.StatusBadRequest},
		{ErrSecurityTokenNotSigned, "IncompleteSignature", http.StatusBadRequest},
		{ErrTimeSkewed, "RequestTimeTooSkewed", http.StatusForbidden},
		{ErrPresignExpired, "AccessDenied", http.StatusForbidden},
		{fmt.Errorf("%w: %w", ErrUnknownCredentials, errNoSuchKey), "InvalidClientTokenId", http.StatusForbidden},
		{ErrSignatureMismatch, "SignatureDoesNotMatch", http.StatusForbidden},
		{ErrPayloadHashMismatch, "XAmzContentSHA256Mismatch", http.StatusBadRequest},
		{ErrChecksumMismatch, "BadDigest", http.StatusBadRequest},
		{ErrDecodedLengthMismatch, "IncompleteBody", http.StatusBadRequest},
		{ErrUnsupportedPayload, "InvalidRequest", http.StatusBadRequest},
		{ErrMalformedChunkedBody, "InvalidRequest", http.StatusBadRequest},
		{fmt.Errorf("%w: x-amz-acl", ErrUnsignedHeader), "AccessDenied", http.StatusForbidden},
		{ErrPayloadNotSigned, "InvalidRequest", http.StatusBadRequest},
		{fmt.Errorf("%w: presign with s3v4", ErrSigV2), "InvalidRequest", http.StatusBadRequest},
		{fmt.Errorf("%w (%w)", ErrSigV2, ErrUnsupportedAlgorithm), "InvalidRequest", http.StatusBadRequest},
		{errors.New("something else"), "AccessDenied", http.StatusForbidden},
	}
	for _, tt := range tests {
		name := "nil"
		if tt.err != nil {
			name = tt.err.Error()
		}
		t.Run(name, func(t *testing.T) {
			if got := Code(tt.err); got != tt.code {
				t.Errorf("Code = %q, want %q", got, tt.code)
			}
			if got := HTTPStatus(tt.err); got != tt.status {
				t.Errorf("HTTPStatus = %d, want %d", got, tt.status)
			}
		})
	}
	if !errors.Is(ErrTimeSkewed, ErrExpired) || !errors.Is(ErrPresignExpired, ErrExpired) {
		t.Error("time errors must wrap ErrExpired")
	}
}
