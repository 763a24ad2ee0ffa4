package sts

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/jitgate/jitgate/internal/session"
	"github.com/jitgate/jitgate/schemas"
)

// checkRole refuses a RoleArn outside Config.AllowedRoles for p. The role
// an agent names picks the account and role the executor may act as, so
// an agent must not be able to name one the operator did not list. The
// message names the setting, not the list: the list is not the agent's to
// read.
func (s *Service) checkRole(ctx context.Context, in AssumeRoleInput, p session.Principal) error {
	if s.cfg.AllowedRoles.Allows(p.Groups, in.RoleARN) {
		return nil
	}
	why := "it is not on the gateway's role allow-list"
	if s.cfg.AllowedRoles.Empty() {
		why = "the gateway allows no role yet"
	}
	msg := fmt.Sprintf("Not authorized to perform sts:AssumeRoleWithWebIdentity on %s: %s; "+
		"ask the gateway's operator to add it (or a glob matching it, optionally as GROUP=ARN) to the ingress's --allowed-roles (JITGATE_ALLOWED_ROLES), "+
		"or name a role you are allowed to use", quoteShort(in.RoleARN), why)
	slog.WarnContext(ctx, "security: AssumeRoleWithWebIdentity for a role outside --allowed-roles",
		"role", in.RoleARN, "sub", p.Subject, "iss", p.Issuer, "groups", p.Groups, "request_id", in.RequestID)
	if s.cfg.Refused != nil {
		s.cfg.Refused(ctx, in.RequestID, &schemas.SecurityRefused{
			Stage: "ingress", Kind: schemas.SecurityRoleNotAllowed,
			Reason:    "AssumeRoleWithWebIdentity named role " + quoteShort(in.RoleARN) + ", which --allowed-roles does not allow for this principal",
			Principal: &schemas.Principal{Subject: p.Subject, Issuer: p.Issuer, Groups: p.Groups},
			Source:    in.Source, Service: "sts", Operation: ActionAssumeRoleWithWebIdentity,
		})
	}
	return newError(ErrAccessDenied, msg, nil)
}
