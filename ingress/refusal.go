package ingress

import (
	"context"
	"time"

	"github.com/jitgate/jitgate/internal/awsmodel"
	"github.com/jitgate/jitgate/internal/bus"
	"github.com/jitgate/jitgate/internal/session"
	"github.com/jitgate/jitgate/schemas"
)

// securityRefusal logs, once, a refusal that may be an attack and records
// it as a security.refused event for auditors. sess and op may be nil (or
// an empty session) when not known yet. The caller answers the agent.
func (g *Ingress) securityRefusal(c *call, sess *session.Session, op *awsmodel.Operation, kind, reason string) {
	ev := &schemas.SecurityRefused{Stage: "ingress", Kind: kind, Reason: reason, Source: clientIP(c.r)}
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
	out, err := bus.Refusal(g.producer, c.id, g.deps.Now(), ev)
	if err == nil {
		// Recorded even when the agent hangs up.
		ctx, cancel := context.WithTimeout(context.WithoutCancel(c.r.Context()), 5*time.Second)
		defer cancel()
		err = g.deps.Publisher.Publish(ctx, out)
	}
	if err != nil {
		g.log.Error("security: refusal not recorded", "request_id", c.id, "err", err)
	}
}
