package sts

import (
	"errors"
	"time"

	"github.com/jitgate/jitgate/internal/session"
)

// Exchange is what one AssumeRoleWithWebIdentity call came to, for the
// caller's audit record (the ingress writes it as a session.issued or a
// request.refused). It holds nothing secret: never the web identity
// token, the session token or the secret access key.
type Exchange struct {
	// Role and SessionName are the RoleArn and RoleSessionName asked for,
	// as sent (unchecked when Err is a ValidationError: bound them before
	// recording them).
	Role, SessionName string
	// Principal is the token's subject, issuer and groups, set once the
	// token verified (a refusal before that has none: whoever sent it is
	// unknown).
	Principal *session.Principal
	// Audience is the client id the verified token was issued for.
	Audience string
	// AccessKeyID and Expires are the session issued (zero when refused):
	// the access key id is the session id every signed call carries.
	AccessKeyID string
	Expires     time.Time
	// Err is why the exchange was refused; nil when credentials were
	// issued. Its Code is one of the sentinels in errors.go.
	Err *Error
}

// RoleRefused reports whether the exchange was refused because the role
// asked for is outside Config.AllowedRoles for the (verified) principal:
// a security event as well as a refusal.
func (x Exchange) RoleRefused() bool {
	return x.Err != nil && x.Err.Code == ErrAccessDenied
}

// asError is err as an *Error; anything else is an InternalFailure whose
// text is kept only as the cause.
func asError(err error) *Error {
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	return newError(ErrInternal, "internal error", err)
}
