package ingress

// Credential exchanges in the log: every AssumeRoleWithWebIdentity the
// ingress answers (package sts writes the answer) ends in one event
// through the door log, named by the request id the agent saw: a
// session.issued when credentials were issued (principal, groups, session
// id, role, expiry, source, the OIDC issuer and subject), else a
// request.refused (service sts) saying why, with the principal only when
// the token verified. Never the web identity token, the session token or
// the secret access key. A role outside --allowed-roles is also a
// security.refused. An exchange whose token did not verify is a
// stranger's: bounded by the strangers' rate like any other.

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"

	"github.com/jitgate/jitgate/internal/session"
	"github.com/jitgate/jitgate/internal/sts"
	"github.com/jitgate/jitgate/schemas"
)

// serveExchange answers an AssumeRoleWithWebIdentity and records what it
// came to. The answer (a small XML document) is held until the record is
// queued: an agent that has its credentials finds the record on its way.
func (g *Ingress) serveExchange(c *call, form url.Values) {
	rec := httptest.NewRecorder()
	g.recordExchange(c, g.deps.STS.ServeAssumeRoleWithWebIdentity(rec, c.r, form, c.id))
	for name, vals := range rec.Header() {
		c.w.Header()[name] = vals
	}
	c.w.WriteHeader(rec.Code)
	c.w.Write(rec.Body.Bytes())
}

// recordExchange queues the event of an exchange x answered to c.
func (g *Ingress) recordExchange(c *call, x sts.Exchange) {
	if x.Err == nil && x.Principal != nil {
		ev := &schemas.SessionIssued{Principal: principalOf(x.Principal), SessionID: x.AccessKeyID, Role: x.Role, SessionName: x.SessionName,
			Expires: x.Expires.UTC(), Audience: x.Audience, Source: clientIP(c.r), Replica: g.cfg.Replica}
		g.door.add(false, doorEvent{requestID: c.id, at: g.deps.Now(), ev: ev})
		return
	}
	e := x.Err
	if e == nil { // an STS that issued without a principal: not this package's
		e = &sts.Error{Code: sts.ErrInternal, Message: "the exchange ended without a principal"}
	}
	ev := &schemas.RequestRefused{Service: "sts", Operation: sts.ActionAssumeRoleWithWebIdentity, SigningName: "sts"}
	if x.Principal != nil {
		p := principalOf(x.Principal)
		ev.Principal = &p
	}
	role := strconv.Quote(trunc(x.Role, maxRefusalReason/2))
	if x.RoleRefused() {
		c.security = &schemas.SecurityRefused{Stage: "ingress", Kind: schemas.SecurityRoleNotAllowed,
			Reason:    "AssumeRoleWithWebIdentity named role " + role + ", which --allowed-roles does not allow for this principal",
			Principal: ev.Principal, Source: clientIP(c.r), Service: "sts", Operation: sts.ActionAssumeRoleWithWebIdentity}
	}
	g.recordRefusal(c, ev, exchangeOutcome(e), "AssumeRoleWithWebIdentity for role "+role+" refused: "+e.Error(),
		apiError{e.HTTPStatus(), e.Code.Error(), e.Message}, x.Principal == nil)
}

// exchangeOutcome is the terminal outcome of an exchange refused with e.
func exchangeOutcome(e *sts.Error) string {
	switch e.Code {
	case sts.ErrInvalidIdentityToken, sts.ErrExpiredToken:
		return schemas.OutcomeUnauthenticated
	case sts.ErrIDPCommunication:
		return schemas.OutcomeUnavailable
	case sts.ErrInternal:
		return schemas.OutcomeError
	}
	if e.HTTPStatus() >= http.StatusInternalServerError {
		return schemas.OutcomeError
	}
	return schemas.OutcomeRejected // ValidationError, AccessDenied (a role not allowed)
}

// principalOf is p as events carry it.
func principalOf(p *session.Principal) schemas.Principal {
	return schemas.Principal{Subject: p.Subject, Issuer: p.Issuer, Groups: p.Groups}
}
