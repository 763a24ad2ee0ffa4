package executor

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/jitgate/jitgate/internal/bus"
	"github.com/jitgate/jitgate/schemas"
)

// Executor runs allowed calls against AWS. Build it with New.
type Executor struct {
	cfg      Config
	deps     Deps
	upstream *url.URL // nil = endpoint table
	client   *http.Client
	roles    *roles
	log      *slog.Logger
	producer string
	now      func() time.Time
	// done holds the request ids started within the replay window.
	done *executed
	// calls holds the open calls and this process's own (recover.go).
	calls *calls
	// retries are the read-only calls recovery is running again.
	retries sync.WaitGroup
	// publish writes recovery's events; publishOwn by default (tests
	// replace it).
	publish func(ctx context.Context, outs ...bus.Output) error
	// readDecision reads and checks the decision record of a call to
	// retry; readDecisionRecord by default (tests replace it).
	readDecision func(ctx context.Context, ref schemas.RecordRef, id string) (*schemas.DecisionMade, error)
	// openBody streams a chunked request body, skipping chunks whose data
	// does not match digests; bus.OpenRequestBody by default (tests
	// replace it).
	openBody func(ctx context.Context, from schemas.RecordRef, requestID string, digests []string) (io.ReadCloser, error)
	// stream publishes a streamed response (execution.finished and its
	// chunks) as the body arrives; on a producer of the executor's own by
	// default (tests replace it).
	stream  func() bus.Stream
	pubOnce sync.Once
	pub     *bus.Publisher
	pubErr  error
}

// New checks cfg and deps and builds an executor.
func New(cfg Config, deps Deps) (*Executor, error) {
	cfg.setDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if deps.Credentials == nil {
		return nil, fmt.Errorf("%w: Deps.Credentials (the gateway's AWS credentials) are required", ErrConfig)
	}
	e := &Executor{cfg: cfg, deps: deps, log: deps.Logger, producer: "executor/" + cfg.Instance, now: time.Now, done: newExecuted(), calls: newCalls()}
	if cfg.Upstream != "" {
		e.upstream, _ = parseUpstream(cfg.Upstream) // validated above
	} else if deps.Endpoints == nil {
		return nil, fmt.Errorf("%w: Deps.Endpoints is required unless Upstream is set", ErrConfig)
	}
	if e.log == nil {
		e.log = slog.Default()
	}
	if deps.HTTPClient != nil {
		c := *deps.HTTPClient
		e.client = &c
	} else {
		tr := http.DefaultTransport.(*http.Transport).Clone()
		tr.DisableCompression = true
		e.client = &http.Client{Transport: tr}
	}
	// A redirect would send the gateway's signed request somewhere the
	// endpoint table did not name; hand the 3xx to the agent instead.
	e.client.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	e.roles = newRoles(cfg, deps, e.client)
	bcfg := cfg.Bus
	e.openBody = func(ctx context.Context, from schemas.RecordRef, id string, digests []string) (io.ReadCloser, error) {
		return bus.OpenRequestBody(ctx, bcfg, from, id, digests)
	}
	e.stream = e.lazyStream
	e.publish = e.publishOwn
	e.readDecision = e.readDecisionRecord
	return e, nil
}

// Run consumes decisions until ctx ends; it returns nil on cancellation.
// It first rebuilds, from the executions topic, which request ids started
// within the replay window, so that a restarted executor (or one that
// takes over a partition) still refuses replayed decisions, and which
// calls are open; then, beside the stage loop, it resolves the open calls
// of the partitions it owns whose executor is gone (recover.go).
func (e *Executor) Run(ctx context.Context) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	defer func() {
		if e.pub != nil {
			e.pub.Close()
		}
	}()
	caughtUp, tailDone, err := e.followExecutions(ctx)
	if err != nil {
		return err
	}
	defer func() { cancel(); <-tailDone }()
	select {
	case <-caughtUp:
	case <-ctx.Done():
		return nil
	}
	owned := bus.NewOwned()
	recoverDone := make(chan struct{})
	go func() {
		defer close(recoverDone)
		e.recoverLoop(ctx, owned)
	}()
	defer func() { cancel(); <-recoverDone }()
	return bus.RunStage(ctx, bus.StageConfig{
		Bus:      e.cfg.Bus,
		Group:    e.cfg.Group,
		Topics:   []string{schemas.TopicDecisions},
		Types:    []schemas.Type{schemas.TypeDecisionMade},
		Instance: e.cfg.Instance,
		Parallel: e.cfg.Parallel,
		Owned:    owned,
		Logger:   e.log,
	}, e.Handle)
}

// Handle turns one decision into events. For an allow that admit accepts
// (authentic, in time, never run before) it returns execution.started as
// Out and the upstream call as After; the call runs only once
// execution.started and the decision's offset are committed.
func (e *Executor) Handle(ctx context.Context, m bus.Message) (bus.Result, error) {
	env := m.Envelope
	d, err := schemas.DecodeAs[*schemas.DecisionMade](env)
	if err != nil {
		// Not a decision this build reads: the loop dead-letters it.
		return bus.Result{}, fmt.Errorf("executor: %w", err)
	}
	if d.Outcome != schemas.Allow {
		return bus.Result{}, nil
	}
	id := env.RequestID
	if outs, ok, err := e.admit(m, d); !ok || err != nil {
		return bus.Result{Out: outs}, err
	}
	t, err := e.target(&d.Request)
	if err != nil {
		return e.result(e.failed(id, 1, d, err, 0))
	}
	ref := m.Ref(e.cfg.Bus)
	started, err := e.event(id, 0, &schemas.ExecutionStarted{
		Attempt:  1,
		Endpoint: strings.TrimSuffix(t.Base.String(), "/") + d.Request.HTTP.Path,
		ReadOnly: d.Request.ReadOnly,
		// A token-bearing call may be retried after a crash: AWS runs
		// the same token once.
		IdempotencyToken: d.Request.IdempotencyToken,
		ReplyTo:          d.Request.ReplyTo,
		Service:          d.Request.Service,
		Operation:        d.Request.Operation,
		Protocol:         d.Request.Protocol,
		Deadline:         d.Request.Deadline,
		Decision:         &ref,
	})
	if err != nil {
		return bus.Result{}, err
	}
	// Running here from now on: recovery must never take this call for
	// one whose executor is gone, even before its start commits.
	e.calls.begin(id, e.now())
	c := &call{e: e, id: id, d: d, target: t, attempt: 1}
	return bus.Result{Out: []bus.Output{started}, After: func(ctx context.Context) []bus.Output {
		defer e.calls.end(id)
		return c.run(ctx)
	}}, nil
}

// result wraps outputs built outside a call.
func (e *Executor) result(outs []bus.Output, err error) (bus.Result, error) {
	if err != nil {
		return bus.Result{}, err
	}
	return bus.Result{Out: outs}, nil
}

// failed builds the execution.finished for a call that did not happen or
// got no HTTP answer. A cause that may be an attack (a call one upstream
// host could run as another service, a role outside the allow-list) also
// gets a security.refused event.
func (e *Executor) failed(id string, attempt int, d *schemas.DecisionMade, cause error, took time.Duration) ([]bus.Output, error) {
	outs, err := e.finishedWithError(id, attempt, d, cause, took)
	if err != nil {
		return nil, err
	}
	kind := ""
	switch {
	case errors.Is(cause, ErrReroute):
		kind = schemas.SecurityAmbiguousRequest
	case errors.Is(cause, ErrRoleNotAllowed):
		kind = schemas.SecurityRoleNotAllowed
	default:
		return outs, nil
	}
	// Logged where it was found (target, roles); recorded here.
	principal := d.Request.Principal
	r, err := bus.Refusal(e.producer, id, e.now(), &schemas.SecurityRefused{Stage: "executor", Kind: kind, Reason: cause.Error(),
		Principal: &principal, Service: d.Request.Service, Operation: d.Request.Operation})
	if err != nil {
		return nil, err
	}
	return append(outs, r), nil
}

func (e *Executor) finishedWithError(id string, attempt int, d *schemas.DecisionMade, cause error, took time.Duration) ([]bus.Output, error) {
	ev := finishedFor(d, took)
	ev.Error = cause.Error()
	fin, err := e.attemptEvent(id, attempt, 0, ev)
	if err != nil {
		return nil, err
	}
	return []bus.Output{fin}, nil
}

// event wraps a payload of a call's first attempt.
func (e *Executor) event(id string, seq int, p schemas.Payload) (bus.Output, error) {
	return e.attemptEvent(id, 1, seq, p)
}

// eventID derives an event's id from the request id, the type, seq and the
// call's attempt, so that a redelivered event keeps its id:
// REQUEST_ID/TYPE/SEQ for the first attempt, REQUEST_ID/TYPE/SEQ/attempt-N
// for a retry. A retry's events never share an id with the first
// attempt's: if that attempt's execution.finished turns up after all (its
// process was alive, only out of the group), both are in the log as what
// they are, and the recorder, which keeps one row per event id, loses
// neither.
func eventID(id string, attempt int, t schemas.Type, seq int) string {
	if attempt <= 1 {
		return fmt.Sprintf("%s/%s/%d", id, t, seq)
	}
	return fmt.Sprintf("%s/%s/%d/attempt-%d", id, t, seq, attempt)
}

// attemptEvent wraps a payload of attempt (see eventID).
func (e *Executor) attemptEvent(id string, attempt, seq int, p schemas.Payload) (bus.Output, error) {
	env, err := schemas.NewEnvelope(eventID(id, attempt, p.EventType(), seq), id, e.producer, e.now(), p)
	if err != nil {
		return bus.Output{}, err
	}
	if p.EventType() == schemas.TypeExecutionStarted {
		// Executors refuse a decision whose request id started: a forged
		// start must not be able to block a real call.
		if err := schemas.Seal(&env, e.cfg.DecisionKey); err != nil {
			return bus.Output{}, err
		}
	}
	replyTo := ""
	switch v := p.(type) {
	case *schemas.ExecutionStarted:
		replyTo = v.ReplyTo
	case *schemas.ExecutionFinished:
		replyTo = v.ReplyTo
	case *schemas.ResponseBodyChunk:
		replyTo = v.ReplyTo
	}
	return bus.Output{Topic: schemas.TopicExecutions, Key: id, ReplyTo: replyTo, Envelope: env}, nil
}
