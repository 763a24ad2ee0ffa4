package sts

import (
	"fmt"

	"github.com/jitgate/jitgate/internal/session"
)

// checkRole refuses a RoleArn outside Config.AllowedRoles for p. The role
// an agent names picks the account and role the executor may act as, so
// an agent must not be able to name one the operator did not list. The
// message names the setting, not the list: the list is not the agent's to
// read. The caller records the refusal (Exchange.RoleRefused).
func (s *Service) checkRole(in AssumeRoleInput, p session.Principal) error {
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
	return newError(ErrAccessDenied, msg, nil)
}
