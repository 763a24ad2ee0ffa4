package decider

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/jitgate/jitgate/internal/awsmodel"
	"github.com/jitgate/jitgate/internal/bus"
	"github.com/jitgate/jitgate/internal/holds"
	"github.com/jitgate/jitgate/internal/ids"
	"github.com/jitgate/jitgate/internal/notify"
	"github.com/jitgate/jitgate/internal/policy"
	"github.com/jitgate/jitgate/schemas"
)

// Publisher writes events outside the stage loop (policy.loaded).
type Publisher interface {
	Publish(ctx context.Context, outs ...bus.Output) error
}

// Deps are what a Decider is built from.
type Deps struct {
	Publisher Publisher
	Logger    *slog.Logger
	// Now is the clock. Default time.Now.
	Now func() time.Time
	// Model is the AWS operation index the decider classifies calls with
	// (call.effects). Default: awsmodel.Load(), the embedded index.
	Model *awsmodel.Index
}

// Decider is the decider stage.
type Decider struct {
	cfg     Config
	deps    Deps
	log     *slog.Logger
	watcher *policy.Watcher
	// holds is the holds and grants view rebuilt from Kafka.
	holds *holds.Store
	// producer names this replica on the events it writes, "decider/" +
	// Instance: readers check the role of authority events' writers.
	producer string
	// owned is kept current by the stage loop with the partitions this
	// member owns: the member owning a holds partition expires that
	// partition's holds, once its view has read it to a mark (expiry.go).
	owned *bus.Owned
}

// New loads and compiles the policy; a bad policy is an error naming the
// rule.
func New(cfg Config, deps Deps) (*Decider, error) {
	cfg.setDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if deps.Logger == nil {
		deps.Logger = slog.Default()
	}
	if deps.Now == nil {
		deps.Now = time.Now
	}
	if deps.Publisher == nil {
		return nil, errors.New("decider: a publisher is required")
	}
	if deps.Model == nil {
		m, err := awsmodel.Load()
		if err != nil {
			return nil, fmt.Errorf("decider: %w", err)
		}
		deps.Model = m
	}
	d := &Decider{cfg: cfg, deps: deps, log: deps.Logger.With("role", "decider", "instance", cfg.Instance), holds: holds.NewStore(cfg.HoldsKey),
		producer: schemas.ProducerName(schemas.RoleDecider, cfg.Instance), owned: bus.NewOwned()}
	w, err := policy.NewWatcher(cfg.PolicyFile, cfg.ReloadEvery, d.policyChanged, func(err error) {
		d.log.Error("policy reload rejected; the previous policy stays in force", "err", err)
	})
	if err != nil {
		return nil, err
	}
	d.watcher = w
	return d, nil
}

// Policy is the policy in force.
func (d *Decider) Policy() *policy.Policy { return d.watcher.Current() }

// Reload re-reads the policy file now (SIGHUP).
func (d *Decider) Reload() error { return d.watcher.Reload() }

func (d *Decider) policyChanged(p *policy.Policy) {
	d.log.Info("policy in force", "file", d.cfg.PolicyFile, "hash", p.Hash(), "rules", len(p.Rules()))
	ev := &schemas.PolicyLoaded{Hash: p.Hash(), Source: d.cfg.PolicyFile, By: d.cfg.Instance, Rules: len(p.Rules())}
	env, err := schemas.NewEnvelope(ids.New(), "", d.producer, d.deps.Now(), ev)
	if err == nil {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		err = d.deps.Publisher.Publish(ctx, bus.Output{Topic: schemas.TopicPolicy, Key: p.Hash(), Envelope: env})
	}
	if err != nil {
		d.log.Warn("could not record policy.loaded", "err", err)
	}
}

// Run decides until ctx ends. It first rebuilds the holds and grants view
// from Kafka, so that a restarted decider honours every grant at once.
func (d *Decider) Run(ctx context.Context) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	tail, err := d.followHolds(ctx)
	if err != nil {
		return err
	}
	select {
	case <-tail.CaughtUp():
	case <-ctx.Done():
		return nil
	}
	d.policyChanged(d.Policy())
	go d.watcher.Run(ctx)
	go d.expireHolds(ctx, liveGate(tail, d.owned))
	if d.cfg.Webhook.URL != "" {
		n, err := notify.New(d.cfg.Webhook, nil, d.log)
		if err != nil {
			return err
		}
		go func() {
			if err := d.notifyHolds(ctx, n); err != nil {
				d.log.Error("hold notifications stopped", "err", err)
			}
		}()
	}
	return bus.RunStage(ctx, bus.StageConfig{
		Bus: d.cfg.Bus, Group: d.cfg.Group, Topics: []string{schemas.TopicRequests, schemas.TopicHolds},
		// Body chunks and the hold events it does not act on are skipped
		// undecoded.
		Types:    []schemas.Type{schemas.TypeRequestReceived, schemas.TypeApprovalGiven, schemas.TypeHoldDenied, schemas.TypeHoldExpired},
		Instance: d.cfg.Instance, Logger: d.log, Owned: d.owned,
	}, d.Handle)
}

// Handle decides one request.received and acts on the hold lifecycle;
// other events produce nothing.
func (d *Decider) Handle(_ context.Context, m bus.Message) (bus.Result, error) {
	if m.Topic == schemas.TopicHolds {
		return d.handleHoldEvent(m)
	}
	if m.Envelope.Type != schemas.TypeRequestReceived {
		return bus.Result{}, nil
	}
	if err := schemas.Verify(m.Envelope, d.cfg.HoldsKey); err != nil {
		// Anyone who can write to the requests topic could otherwise
		// name any principal and have its call judged and run.
		return d.refuseForgedRequest(m, err)
	}
	req, err := schemas.DecodeAs[*schemas.RequestReceived](m.Envelope)
	if err != nil {
		// Its payload does not decode: the loop dead-letters it.
		return bus.Result{}, fmt.Errorf("decider: %w", err)
	}
	if req.Answered {
		return bus.Result{}, nil // answered by the ingress; published for the record
	}
	pol := d.Policy()
	now := d.deps.Now()
	// Effects come from the decider's own model, never from the event: the
	// grants matcher, the decision and the hold carry these.
	effects, known := d.deps.Model.Effects(req.Service, req.Operation)
	req.Effects = effects
	in, err := input(req, now)
	if err == nil && known {
		// Some effects come with parameters (an ACL on PutObject, a
		// policy on CreateQueue): the rules and the decision see those.
		req.Effects = awsmodel.WithParamEffects(effects, in.Params)
		in.Effects = req.Effects
	}
	var (
		dec     policy.Decision
		grantID string
	)
	if err != nil {
		dec = policy.Decision{Outcome: policy.Deny, Reason: "request parameters are unreadable: " + err.Error()}
	} else if !known {
		// Unreachable through the ingress, which identifies calls with the
		// same model; a rule written by effect cannot judge a call
		// without effects, so it is not judged at all.
		dec = policy.Decision{Outcome: policy.Deny, Reason: fmt.Sprintf("%s:%s is not in the gateway's AWS model (%s), so what it does is unknown",
			req.Service, req.Operation, d.deps.Model.Source())}
	} else if g, ok, gerr := d.holds.MatchGrant(req, now); gerr == nil && ok {
		// Active grants come before the rules.
		// g.Role pins the agent's session role; the executor assumes the
		// role of the rule that held the call.
		dec = policy.Decision{Outcome: policy.Allow, Rule: "grant:" + g.GrantID, Role: d.grantRole(g.RequestID),
			Reason: fmt.Sprintf("grant %s approved by %s, until %s", g.GrantID, strings.Join(g.ApprovedBy, ", "), g.Expires.UTC().Format(time.RFC3339))}
		grantID = g.GrantID
	} else if dec, err = pol.Evaluate(in); err != nil {
		d.log.Warn("policy error; denied", "request_id", m.Envelope.RequestID, "err", err)
	}
	if dec.Outcome == policy.Allow && now.After(req.Deadline) {
		// The ingress already told the agent the call was not run (a
		// decider catching up on a backlog): running it now would make that
		// untrue, and the agent's retry would run it twice.
		dec = policy.Decision{Outcome: policy.Deny, Reason: fmt.Sprintf("rule %q allowed the call, but the agent stopped waiting at %s; it was not run, retry it",
			dec.Rule, req.Deadline.UTC().Format(time.RFC3339))}
		grantID = ""
	}
	out := &schemas.DecisionMade{
		RequestID:  m.Envelope.RequestID,
		Outcome:    schemas.Outcome(dec.Outcome),
		Rule:       dec.Rule,
		Reason:     dec.Reason,
		PolicyHash: pol.Hash(),
		Role:       dec.Role,
		GrantID:    grantID,
		Request:    *req,
	}
	if req.HTTP.BodyChunks > 0 {
		ref := m.Ref(d.cfg.Bus)
		out.Body = &ref
	}
	if dec.Hold != nil {
		out.Hold = holdTerms(dec.Hold, now)
	}
	d.log.Info("decision", "request_id", m.Envelope.RequestID, "call", req.Service+"."+req.Operation,
		"principal", req.Principal.Subject, "outcome", dec.Outcome, "rule", dec.Rule)
	return d.outputs(m.Envelope.RequestID, out)
}

// grantRole is the executor role of the rule whose hold opened a grant.
func (d *Decider) grantRole(holdID string) string {
	h, _ := d.holds.Hold(holdID)
	return h.ExecRole
}

func (d *Decider) outputs(requestID string, dec *schemas.DecisionMade) (bus.Result, error) {
	var res bus.Result
	add := func(topic string, p schemas.Payload, replyTo string) error {
		env, err := d.envelope(ids.New(), requestID, p)
		if err != nil {
			return err
		}
		res.Out = append(res.Out, bus.Output{Topic: topic, ReplyTo: replyTo, Envelope: env})
		return nil
	}
	if err := add(schemas.TopicDecisions, dec, ""); err != nil {
		return bus.Result{}, err
	}
	var err error
	switch dec.Outcome {
	case schemas.Deny:
		err = add(schemas.TopicResponses, &schemas.ResponseReady{
			ReplyTo: dec.Request.ReplyTo,
			Outcome: schemas.OutcomeDenied,
			Error:   &schemas.APIError{Status: http.StatusForbidden, Code: "AccessDenied", Message: denyMessage(dec, requestID)},
		}, dec.Request.ReplyTo)
	case schemas.Hold:
		err = add(schemas.TopicHolds, &schemas.HoldOpened{Request: dec.Request, Rule: dec.Rule, Reason: dec.Reason, Terms: *dec.Hold, Body: dec.Body, Role: dec.Role}, "")
	}
	return res, err
}

// envelope wraps p as this replica's event, sealed when p confers
// authority: decision.made with the decision key, the holds and grants
// events with the holds key.
func (d *Decider) envelope(eventID, requestID string, p schemas.Payload) (schemas.Envelope, error) {
	return d.envelopeAt(eventID, requestID, d.deps.Now(), p)
}

// envelopeAt is envelope stamped at a given time.
func (d *Decider) envelopeAt(eventID, requestID string, at time.Time, p schemas.Payload) (schemas.Envelope, error) {
	env, err := schemas.NewEnvelope(eventID, requestID, d.producer, at, p)
	if err != nil {
		return env, err
	}
	switch {
	case env.Type == schemas.TypeDecisionMade:
		err = schemas.Seal(&env, d.cfg.DecisionKey)
	case isWriter(env.Type):
		err = schemas.Seal(&env, d.cfg.HoldsKey)
	}
	return env, err
}

// isWriter reports whether deciders write events of type t.
func isWriter(t schemas.Type) bool {
	role, ok := schemas.Writer(t)
	return ok && role == schemas.RoleDecider
}

func denyMessage(dec *schemas.DecisionMade, requestID string) string {
	call := dec.Request.Service + ":" + dec.Request.Operation
	if dec.Rule == "" {
		return fmt.Sprintf("jitgate denied %s: %s (request id %s)", call, dec.Reason, requestID)
	}
	return fmt.Sprintf("jitgate denied %s by rule %q: %s (request id %s)", call, dec.Rule, dec.Reason, requestID)
}

// input maps a request to the policy's environment.
func input(req *schemas.RequestReceived, now time.Time) (policy.Input, error) {
	params := map[string]any{}
	if len(req.Params) > 0 {
		if err := json.Unmarshal(req.Params, &params); err != nil {
			return policy.Input{}, err
		}
	}
	return policy.Input{
		Principal: policy.Principal{Sub: req.Principal.Subject, Issuer: req.Principal.Issuer, Groups: req.Principal.Groups},
		Service:   req.Service,
		Operation: req.Operation,
		Region:    req.Region,
		ReadOnly:  req.ReadOnly,
		Params:    params,
		Source:    req.Source,
		Time:      now,
		Role:      req.Role,
		Effects:   req.Effects,
	}, nil
}

func holdTerms(h *policy.HoldSpec, now time.Time) *schemas.HoldTerms {
	t := &schemas.HoldTerms{
		Approvers:            h.Approvers,
		Approvals:            h.Approvals,
		Expires:              now.Add(h.Wait),
		RequireJustification: h.RequireJustification,
	}
	if h.Grant != nil {
		t.Grant = &schemas.GrantTerms{For: h.Grant.For, Scope: h.Grant.Scope, Match: h.Grant.Match}
	}
	return t
}
