package executor

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"regexp"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials/stscreds"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/jitgate/jitgate/internal/rolelist"
	"github.com/jitgate/jitgate/schemas"
)

// roleARN matches IAM role ARNs in any partition.
var roleARN = regexp.MustCompile(`^arn:aws[a-z-]*:iam::\d{12}:role/[\w+=,.@/-]{1,512}$`)

// sessionName names the executor's STS sessions in CloudTrail.
const sessionName = "jitgate-executor"

// roles hands out one cached credentials provider per allowed role.
type roles struct {
	assume  func(ctx context.Context, roleARN string) aws.CredentialsProvider
	allowed rolelist.List
	log     *slog.Logger
	mu      sync.Mutex
	cache   map[string]aws.CredentialsProvider
}

func newRoles(cfg Config, deps Deps, client *http.Client) *roles {
	assume := deps.AssumeRole
	if assume == nil {
		opts := sts.Options{Region: cfg.STSRegion, Credentials: deps.Credentials, HTTPClient: client}
		if cfg.Upstream != "" {
			opts.BaseEndpoint = aws.String(cfg.Upstream)
		}
		stsc := sts.New(opts)
		assume = func(_ context.Context, arn string) aws.CredentialsProvider {
			return stscreds.NewAssumeRoleProvider(stsc, arn, func(o *stscreds.AssumeRoleOptions) {
				o.RoleSessionName = sessionName
			})
		}
	}
	log := deps.Logger
	if log == nil {
		log = slog.Default()
	}
	return &roles{assume: assume, allowed: cfg.AllowedRoles, log: log, cache: map[string]aws.CredentialsProvider{}}
}

// provider returns the cached provider for arn, creating it on first use.
// A role outside Config.AllowedRoles is refused before any STS call, so a
// decision naming it never runs: an event is not proof that the role was
// vetted.
func (r *roles) provider(ctx context.Context, arn string) (aws.CredentialsProvider, error) {
	if !roleARN.MatchString(arn) {
		return nil, fmt.Errorf("%w: %q", ErrRole, arn)
	}
	if !r.allowed.AllowsARN(arn) {
		r.log.WarnContext(ctx, "security: refused to assume a role outside --allowed-roles", "role", arn)
		return nil, fmt.Errorf("%w: %q; add it (or a glob matching it) to the executor's --allowed-roles (JITGATE_ALLOWED_ROLES) if calls may run as this role",
			ErrRoleNotAllowed, arn)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	p, ok := r.cache[arn]
	if !ok {
		p = r.assume(ctx, arn)
		if _, isCache := p.(*aws.CredentialsCache); !isCache {
			p = aws.NewCredentialsCache(p)
		}
		r.cache[arn] = p
	}
	return p, nil
}

// roleFor picks the role for a decision: the decision's own, else the
// session's when configured, else "" (the gateway's credentials).
func roleFor(cfg Config, d *schemas.DecisionMade) string {
	if d.Role != "" {
		return d.Role
	}
	if cfg.AssumeSessionRole {
		return d.Request.Role
	}
	return ""
}
