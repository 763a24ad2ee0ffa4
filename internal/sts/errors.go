package sts

import (
	"errors"
	"net/http"
)

// Sentinels for the STS error codes this package answers with. Every error
// from Service.AssumeRoleWithWebIdentity is an *Error that matches one of
// them with errors.Is.
var (
	// ErrValidation is a malformed request: a missing or invalid parameter.
	ErrValidation = errors.New("ValidationError")
	// ErrInvalidIdentityToken is a token that is malformed, from an untrusted
	// issuer, for another audience, or whose signature does not verify.
	ErrInvalidIdentityToken = errors.New("InvalidIdentityToken")
	// ErrExpiredToken is a web identity token past its exp.
	ErrExpiredToken = errors.New("ExpiredTokenException")
	// ErrIDPCommunication is a failure to fetch the issuer's discovery
	// document or keys; the client may retry.
	ErrIDPCommunication = errors.New("IDPCommunicationError")
	// ErrAccessDenied is a principal that Config.RoleAllowed refused.
	ErrAccessDenied = errors.New("AccessDenied")
	// ErrInternal is a failure on jitgate's side (sealing a session).
	ErrInternal = errors.New("InternalFailure")
)

// Error is an STS error: the code (one of the sentinels above), the message
// sent to the client, and the underlying cause, kept for the caller's logs
// and never sent. Neither the message nor the cause contains the token.
type Error struct {
	Code    error  // one of the sentinels
	Message string // sent to the client
	Cause   error  // may be nil; not sent to the client
}

func newError(code error, msg string, cause error) *Error {
	return &Error{Code: code, Message: msg, Cause: cause}
}

// Error returns "sts: Code: Message[: cause]".
func (e *Error) Error() string {
	s := "sts: " + e.Code.Error() + ": " + e.Message
	if e.Cause != nil {
		s += ": " + e.Cause.Error()
	}
	return s
}

// Unwrap returns the code sentinel and the cause.
func (e *Error) Unwrap() []error {
	if e.Cause == nil {
		return []error{e.Code}
	}
	return []error{e.Code, e.Cause}
}

// HTTPStatus is the status real STS answers with for this code.
func (e *Error) HTTPStatus() int {
	switch e.Code {
	case ErrAccessDenied:
		return http.StatusForbidden
	case ErrInternal:
		return http.StatusInternalServerError
	}
	return http.StatusBadRequest
}

// faultType is the STS <Type>: Receiver for server faults, else Sender.
func (e *Error) faultType() string {
	if e.Code == ErrInternal {
		return "Receiver"
	}
	return "Sender"
}

// ErrConfig is returned by New for an invalid Config.
var ErrConfig = errors.New("sts: invalid config")
