package executor

import "errors"

var (
	// ErrConfig reports a configuration New cannot run with.
	ErrConfig = errors.New("executor: invalid configuration")
	// ErrForged reports an allow decision whose envelope does not verify
	// under the decision key, was not written by a decider, or names
	// another request than the one it travels as.
	ErrForged = errors.New("executor: decision refused: no decider wrote it as it is")
	// ErrPastDeadline reports a decision that reached the executor after
	// the agent stopped waiting: the call was not run.
	ErrPastDeadline = errors.New("jitgate did not run the call: its decision arrived after the deadline")
	// ErrReplayed reports an authentic decision for a request that already
	// started: each request runs at most once.
	ErrReplayed = errors.New("executor: decision refused: this request already ran")
	// ErrDeadlineTooFar reports a decision whose deadline lies beyond
	// Config.MaxWait: the executor could not remember it across a restart
	// for long enough to refuse its replays.
	ErrDeadlineTooFar = errors.New("jitgate did not run the call: its deadline is later than the executor's --max-wait allows; the operator must set --max-wait at least to the ingresses' --wait")
	// ErrOutcomeUnknown is the Error of the execution.finished that ends a
	// call an executor crash left open (ErrorKind
	// schemas.ErrorOutcomeUnknown): it may or may not have reached AWS.
	ErrOutcomeUnknown = errors.New("the outcome of this call is unknown: the executor running it stopped before AWS's answer was recorded, so the call may or may not have taken effect")
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
