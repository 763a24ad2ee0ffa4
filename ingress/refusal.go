package ingress

import (
	"github.com/jitgate/jitgate/internal/awsmodel"
	"github.com/jitgate/jitgate/internal/session"
	"github.com/jitgate/jitgate/schemas"
)

// securityRefusal keeps with the call the security.refused that records,
// for auditors, a refusal that may be an attack: the call's refusal at the
// door (refuseAtDoor, which the caller answers the agent with next) queues
// both through the door log and logs it once, so the request path never
// waits on Kafka for it and a flood of such requests is bounded like any
// other refusal, in the log as in Kafka. sess and op may be nil (or an
// empty session) when not known yet.
func (g *Ingress) securityRefusal(c *call, sess *session.Session, op *awsmodel.Operation, kind, reason string) {
	ev := &schemas.SecurityRefused{Stage: "ingress", Kind: kind, Reason: trunc(reason, maxRefusalReason), Source: clientIP(c.r)}
	if sess != nil && sess.AccessKeyID != "" {
		ev.Principal = &schemas.Principal{Subject: sess.Principal.Subject, Issuer: sess.Principal.Issuer, Groups: sess.Principal.Groups}
	}
	if op != nil {
		ev.Service, ev.Operation = op.Service, op.Name
	}
	c.security = ev
}
