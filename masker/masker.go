package masker

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"time"

	"github.com/jitgate/jitgate/internal/bus"
	"github.com/jitgate/jitgate/internal/redact"
	"github.com/jitgate/jitgate/schemas"
)

// Deps are what a Masker is built from. There is no clock: every output's
// time derives from its input's (outputs.go).
type Deps struct {
	Logger *slog.Logger
	// Sensitive, when set, names the members of an operation's output that
	// are masked whatever the masking rules say (in JSON, XML and CBOR
	// bodies, at any depth): cmd/jitgate passes the model index's
	// SensitiveOutput, the members whose shapes botocore marks
	// "sensitive". Service and operation are the request's
	// (schemas.ExecutionFinished.Service and .Operation). It must be safe
	// for concurrent use. Nil adds nothing to the built-in and file rules.
	Sensitive func(service, operation string) []string
}

// Masker is the masker stage.
type Masker struct {
	cfg    Config
	deps   Deps
	log    *slog.Logger
	engine *redact.Engine
}

// New compiles the masking rules.
func New(cfg Config, deps Deps) (*Masker, error) {
	cfg.setDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if deps.Logger == nil {
		deps.Logger = slog.Default()
	}
	opts := []redact.Option{redact.WithSensitive(deps.Sensitive)}
	if len(cfg.HashKey) > 0 {
		opts = append(opts, redact.WithHashKey(cfg.HashKey))
	}
	engine, err := CompileRules(cfg.RulesFile, opts...)
	if err != nil {
		return nil, err
	}
	return &Masker{cfg: cfg, deps: deps, log: deps.Logger.With("role", "masker", "instance", cfg.Instance), engine: engine}, nil
}

// Run masks until ctx ends. The stage is idempotent (bus.StageConfig):
// Handle is a pure function of its input, so a batch written twice is the
// same events twice, and no Kafka transaction is needed (doc.go).
func (k *Masker) Run(ctx context.Context) error {
	return bus.RunStage(ctx, bus.StageConfig{
		Bus: k.cfg.Bus, Group: k.cfg.Group, Topics: []string{schemas.TopicExecutions},
		// execution.started is skipped undecoded, and costs no commit.
		Types:    []schemas.Type{schemas.TypeExecutionFinished, schemas.TypeResponseBodyChunk},
		Instance: k.cfg.Instance, Logger: k.log, Idempotent: true,
	}, k.Handle)
}

// Handle masks one executions-topic event. Its outputs depend on the event
// (and the body chunks it names) and the masking rules only: the same
// event always yields the same events, ids and times included.
func (k *Masker) Handle(ctx context.Context, m bus.Message) (bus.Result, error) {
	switch m.Envelope.Type {
	case schemas.TypeExecutionFinished:
		fin, err := schemas.DecodeAs[*schemas.ExecutionFinished](m.Envelope)
		if err != nil {
			return bus.Result{}, err
		}
		if fin.ErrorKind == schemas.ErrorOutcomeUnknown {
			return k.unknown(m, fin)
		}
		ready, chunks, refused, err := k.finished(ctx, m, fin)
		if err != nil {
			return bus.Result{}, err
		}
		out := k.outputs(m.Envelope, fin.ReplyTo)
		if err := out.reply(ready); err != nil {
			return bus.Result{}, err
		}
		for _, c := range chunks {
			if err := out.reply(c); err != nil {
				return bus.Result{}, err
			}
		}
		if refused != nil {
			if err := out.refused(refused); err != nil {
				return bus.Result{}, err
			}
		}
		return out.result(), nil
	case schemas.TypeResponseBodyChunk:
		c, err := schemas.DecodeAs[*schemas.ResponseBodyChunk](m.Envelope)
		if err != nil || c.Maskable {
			return bus.Result{}, err // a maskable body went out whole with its execution.finished
		}
		out := k.outputs(m.Envelope, c.ReplyTo)
		if err := out.reply(&schemas.ResponseBodyChunk{ReplyTo: c.ReplyTo, Seq: c.Seq, Data: c.Data, Last: c.Last, Error: c.Error}); err != nil {
			return bus.Result{}, err
		}
		return out.result(), nil
	}
	return bus.Result{}, nil
}

// finished turns the upstream's raw answer into the agent's answer. A
// response withheld because it could not be checked for secrets also
// returns the security.refused record to publish with it.
func (k *Masker) finished(ctx context.Context, m bus.Message, fin *schemas.ExecutionFinished) (*schemas.ResponseReady, []*schemas.ResponseBodyChunk, *schemas.SecurityRefused, error) {
	ready := &schemas.ResponseReady{ReplyTo: fin.ReplyTo}
	fail := func(status int, code, msg string) (*schemas.ResponseReady, []*schemas.ResponseBodyChunk, *schemas.SecurityRefused, error) {
		ready.Outcome = schemas.OutcomeError
		ready.Error = &schemas.APIError{Status: status, Code: code, Message: fmt.Sprintf("%s (request id %s)", msg, m.Envelope.RequestID)}
		return ready, nil, nil, nil
	}
	if fin.Error != "" {
		return fail(http.StatusServiceUnavailable, "ServiceUnavailable", "jitgate could not complete the call upstream: "+fin.Error)
	}
	resp := fin.Response
	headers := schemas.HTTPHeader(resp.Headers)
	ct := headers.Get("Content-Type")
	ready.Outcome = schemas.OutcomeExecuted
	withhold := func(err error) (*schemas.ResponseReady, []*schemas.ResponseBodyChunk, *schemas.SecurityRefused, error) {
		w := &withheldError{reason: "the response could not be masked", agent: "jitgate withheld the response because it could not be checked for secrets", err: err}
		errors.As(err, &w)
		k.log.Warn("security: response withheld, it could not be checked for secrets", "request_id", m.Envelope.RequestID,
			"service", fin.Service, "operation", fin.Operation, "reason", w.reason, "err", w.err)
		r, _, _, _ := fail(http.StatusBadGateway, "InternalFailure", w.agent)
		return r, nil, &schemas.SecurityRefused{Stage: "masker", Kind: schemas.SecurityWithheldResponse,
			Reason: w.reason, Service: fin.Service, Operation: fin.Operation}, nil
	}
	if w := opaqueDocument(fin, ct); w != nil && !redact.Encoded(contentEncoding(headers)) {
		// An encoded body is decoded first and judged by what it holds.
		return withhold(w)
	}
	if resp.BodyChunks != 0 && !redact.Maskable(ct, contentEncoding(headers), fin.Service, fin.Operation) {
		ready.Response = &resp // raw chunks stream through as they come
		return ready, nil, nil, nil
	}
	body := resp.Body
	if resp.BodyChunks != 0 {
		if resp.BodySize > k.cfg.MaxBody {
			return fail(http.StatusBadGateway, "InternalFailure", fmt.Sprintf("the %d-byte response is too large to mask (limit %d bytes)", resp.BodySize, k.cfg.MaxBody))
		}
		var err error
		body, err = k.readBody(ctx, m, resp)
		switch {
		case errors.Is(err, errTooLargeToMask):
			return fail(http.StatusBadGateway, "InternalFailure", fmt.Sprintf("the response is too large to mask (limit %d bytes)", k.cfg.MaxBody))
		case errors.Is(err, bus.ErrBodyFailed):
			return fail(http.StatusBadGateway, "InternalFailure", "the upstream's answer broke off before its end; retry the call")
		case err != nil:
			return nil, nil, nil, err // retry: the chunks are in Kafka
		}
	}
	masked, err := k.maskBody(headers, fin, body)
	if err != nil {
		// Withheld, never retried: the same bytes would fail again.
		return withhold(err)
	}
	if masked.Changed {
		ready.Masked = maskedRecord(masked)
	}
	out := schemas.HTTPResponse{Status: resp.Status, Headers: schemas.HeadersFrom(headers, nil), BodySize: int64(len(masked.Body))}
	var chunks []*schemas.ResponseBodyChunk
	if len(masked.Body) > bus.ChunkSize {
		parts := bus.Chunks(masked.Body)
		out.BodyChunks = len(parts)
		for i, p := range parts {
			chunks = append(chunks, &schemas.ResponseBodyChunk{ReplyTo: fin.ReplyTo, Seq: i, Data: p, Last: i == len(parts)-1})
		}
	} else {
		out.Body = masked.Body
	}
	ready.Response = &out
	return ready, chunks, nil, nil
}

func (k *Masker) readBody(ctx context.Context, m bus.Message, resp schemas.HTTPResponse) ([]byte, error) {
	ctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	rc, err := bus.OpenResponseBody(ctx, k.cfg.Bus, m.Ref(k.cfg.Bus), m.Envelope.RequestID, resp.BodyChunks)
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	// A body of unknown length may outgrow the limit: read one byte more
	// to tell, rather than mask a truncated body.
	b, err := io.ReadAll(io.LimitReader(rc, k.cfg.MaxBody+1))
	if err == nil && int64(len(b)) > k.cfg.MaxBody {
		return nil, errTooLargeToMask
	}
	return b, err
}
