package executor

import "errors"

var (
	// ErrConfig reports a configuration New cannot run with.
	ErrConfig = errors.New("executor: invalid configuration")
	// ErrRefused reports an allow decision whose MAC does not verify.
	ErrRefused = errors.New("executor: decision refused: its MAC does not verify under the decision key")
	// ErrTarget reports a request the executor has no trusted endpoint for.
	ErrTarget = errors.New("executor: no trusted endpoint")
	// ErrReroute reports a call a single upstream host (Config.Upstream)
	// could run as another service than the one policy judged, or a service
	// that upstream does not implement.
	ErrReroute = errors.New("executor: the upstream could run this call as another service")
	// ErrRole reports a role that is not an IAM role ARN.
	ErrRole = errors.New("executor: invalid role ARN")
	// ErrRoleNotAllowed reports a role outside Config.AllowedRoles.
	ErrRoleNotAllowed = errors.New("executor: role not on the executor's allow-list")
	// ErrResponseTooLarge reports an upstream answer over MaxResponseBody.
	ErrResponseTooLarge = errors.New("executor: upstream response body exceeds the configured cap")
	// ErrNoBodyRef reports a decision whose request body is chunked but
	// which does not say where the chunks are.
	ErrNoBodyRef = errors.New("executor: decision has a chunked body but no record reference")
)
