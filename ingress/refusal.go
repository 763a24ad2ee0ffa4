package ingress

import (
	"github.com/jitgate/jitgate/internal/awsmodel"
	"github.com/jitgate/jitgate/internal/session"
	"github.com/jitgate/jitgate/schemas"
)

// securityRefusal logs, once, a refusal that may be an attack and keeps
// the security.refused that records it for auditors with the call: the
// call's refusal at the door (refuseAtDoor, which the caller answers the
// agent with next) queues both through the door log, so the request path
// never waits on Kafka for it and a flood of such requests is bounded
// like any other refusal. sess and op may be nil (or an empty session)
// when not known yet.
func (g *Ingress) securityRefusal(c *call, sess *session.Session, op *awsmodel.Operation, kind, reason string) {
	ev := &schemas.SecurityRefused{Stage: "ingress", Kind: kind, Reason: trunc(reason, maxRefusalReason), Source: clientIP(c.r)}
	subject := ""
	if sess != nil && sess.AccessKeyID != "" {
		ev.Principal = &schemas.Principal{Subject: sess.Principal.Subject, Issuer: sess.Principal.Issuer, Groups: sess.Principal.Groups}
		subject = sess.Principal.Subject
	}
	if op != nil {
		ev.Service, ev.Operation = op.Service, op.Name
	}
	g.log.Warn("security: request refused", "kind", kind, "request_id", c.id, "principal", subject, "source", ev.Source,
		"method", c.r.Method, "path", c.r.URL.EscapedPath(), "reason", reason)
	c.security = ev
}
