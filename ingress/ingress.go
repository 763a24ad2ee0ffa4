package ingress

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"path"
	"sync/atomic"
	"time"

	"github.com/jitgate/jitgate/internal/awsmodel"
	"github.com/jitgate/jitgate/internal/bus"
	"github.com/jitgate/jitgate/internal/holds"
	"github.com/jitgate/jitgate/internal/session"
	"github.com/jitgate/jitgate/internal/sts"
	"github.com/jitgate/jitgate/schemas"
)

// Publisher writes events; *bus.Publisher is one.
type Publisher interface {
	Publish(ctx context.Context, outs ...bus.Output) error
	// Stream publishes a large body's chunks as the body is read.
	Stream() bus.Stream
}

// Reachability tells whether the brokers answer; *bus.Reachability is one.
type Reachability interface {
	Reachable() bool
}

// STS answers the unsigned AssumeRoleWithWebIdentity call and says what
// it came to, for the ingress to record; *sts.Service is one.
type STS interface {
	ServeAssumeRoleWithWebIdentity(w http.ResponseWriter, r *http.Request, form url.Values, requestID string) sts.Exchange
}

// Deps are what an Ingress is built from.
type Deps struct {
	STS STS
	// Auth verifies bearer tokens of the approver API; *sts.Service is one.
	Auth      Authenticator
	Sealer    *session.Sealer
	Models    *awsmodel.Index
	Publisher Publisher
	// Brokers tells whether the brokers answer; while they do not, calls
	// are refused at once (ServiceUnavailable) rather than after --wait.
	// Optional: without it the brokers count as reachable.
	Brokers Reachability
	Logger  *slog.Logger
	// Mounts are extra handlers by path prefix (the dev OIDC issuer).
	Mounts map[string]http.Handler
	// Now is the clock. Default time.Now.
	Now func() time.Time
	// HoldsKey seals the approver API's events (approval.given,
	// hold.denied, hold.justified, grant.revoked) and verifies every event
	// of the holds and grants topics (the rest are the deciders'). Only
	// deciders and ingresses hold it. Required, at least 16 bytes.
	HoldsKey []byte
}

// Ingress serves agents.
type Ingress struct {
	cfg Config
	// producer names this replica on every event it writes
	// ("ingress/<replica>", the role deciders check).
	producer string
	deps     Deps
	log      *slog.Logger
	replies  *replies
	mux      *http.ServeMux
	ready    atomic.Bool
	// holds is this replica's view of holds and grants, rebuilt from Kafka;
	// holdsReady closes once it has read the log written before start.
	holds      *holds.Store
	holdsReady chan struct{}
	// hints shape the errors of requests that were not identified.
	hints protocolHints
	// limits bound the calls in flight; seen holds the signatures used
	// recently (here and, via the signatures topic, at other replicas);
	// seenReady closes once the topic's look-back window has been read.
	limits    *inFlight
	seen      *signatureSet
	seenReady chan struct{}
	// door publishes the events of answers at the door: refusals,
	// their security records, credential exchanges.
	door *doorLog
}

// New builds an Ingress. Run starts serving.
func New(cfg Config, deps Deps) (*Ingress, error) {
	cfg.setDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if deps.STS == nil || deps.Auth == nil || deps.Sealer == nil || deps.Models == nil || deps.Publisher == nil {
		return nil, errors.New("ingress: STS, Auth, Sealer, Models and Publisher are required")
	}
	if len(deps.HoldsKey) < schemas.MinKeyLen {
		return nil, errors.New("ingress: a holds key of at least 16 bytes is required (--holds-key, shared with the deciders)")
	}
	if deps.Logger == nil {
		deps.Logger = slog.Default()
	}
	if deps.Now == nil {
		deps.Now = time.Now
	}
	g := &Ingress{cfg: cfg, deps: deps, producer: schemas.ProducerName(schemas.RoleIngress, cfg.Replica), log: deps.Logger.With("role", "ingress", "replica", cfg.Replica), replies: newReplies(),
		holds: holds.NewStore(deps.HoldsKey), holdsReady: make(chan struct{}), hints: newProtocolHints(deps.Models),
		limits: newInFlight(cfg.MaxInFlight, cfg.MaxInFlightPerPrincipal), seen: newSignatureSet(), seenReady: make(chan struct{})}
	g.door = newDoorLog(cfg.DoorLogQueue, cfg.UntrustedRefusalRate, deps.Publisher, g.log, g.producer)
	g.mux = http.NewServeMux()
	g.routeAPI()
	// Health probes are unsigned; a signed GET /healthz is an S3 call on a
	// bucket of that name.
	g.mux.HandleFunc("GET /healthz", g.unsignedOnly(func(w http.ResponseWriter, _ *http.Request) { fmt.Fprintln(w, "ok") }))
	g.mux.HandleFunc("GET /readyz", g.unsignedOnly(g.serveReady))
	for prefix, h := range deps.Mounts {
		g.mux.Handle(prefix, h)
	}
	g.mux.HandleFunc("/", g.serveAWS)
	return g, nil
}

// ServeHTTP makes the Ingress an http.Handler (for tests and embedding).
// A path that is not clean ("a//b", "./", "../" are legal in S3 keys) is
// an AWS call: http.ServeMux would answer it with a redirect.
func (g *Ingress) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path != cleanPath(r.URL.Path) {
		g.serveAWS(w, r)
		return
	}
	g.mux.ServeHTTP(w, r)
}

// cleanPath is the path http.ServeMux routes by; it redirects any other.
func cleanPath(p string) string {
	if p == "" || p[0] != '/' {
		p = "/" + p
	}
	np := path.Clean(p)
	if p[len(p)-1] == '/' && np != "/" {
		np += "/"
	}
	return np
}

func (g *Ingress) unsignedOnly(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if signed(r) {
			g.serveAWS(w, r)
			return
		}
		h(w, r)
	}
}

func (g *Ingress) serveReady(w http.ResponseWriter, _ *http.Request) {
	if !g.ready.Load() {
		http.Error(w, "not ready: reply stream not attached", http.StatusServiceUnavailable)
		return
	}
	select {
	case <-g.holdsReady:
	default:
		http.Error(w, "not ready: still reading the holds log", http.StatusServiceUnavailable)
		return
	}
	select {
	case <-g.seenReady:
	default:
		http.Error(w, "not ready: still reading the signatures used recently", http.StatusServiceUnavailable)
		return
	}
	fmt.Fprintln(w, "ready")
}

// Listener pairs an address with its listener, for callers that bind
// before Run (tests, `jitgate dev` printing the address).
type Listener struct {
	Plain, TLS net.Listener
}

// Listen binds the configured addresses.
func (g *Ingress) Listen() (Listener, error) {
	var l Listener
	var err error
	if g.cfg.Listen != "" {
		if l.Plain, err = net.Listen("tcp", g.cfg.Listen); err != nil {
			return l, fmt.Errorf("ingress: listen on %s: %w", g.cfg.Listen, err)
		}
	}
	if g.cfg.TLSListen != "" {
		if l.TLS, err = net.Listen("tcp", g.cfg.TLSListen); err != nil {
			if l.Plain != nil {
				l.Plain.Close()
			}
			return l, fmt.Errorf("ingress: listen on %s: %w", g.cfg.TLSListen, err)
		}
	}
	return l, nil
}

// Attach starts following the responses topic and publishing the events
// of answers at the door (the door log). Run calls it; callers that serve the
// handler themselves call it before taking traffic.
func (g *Ingress) Attach(ctx context.Context) (wait func() error, err error) {
	tail, err := bus.NewTail(ctx, g.cfg.Bus, bus.FromEnd, g.log, schemas.TopicResponses)
	if err != nil {
		return nil, err
	}
	state, err := bus.NewTail(ctx, g.cfg.Bus, bus.FromStart, g.log, schemas.TopicHolds, schemas.TopicGrants)
	if err != nil {
		tail.Close()
		return nil, err
	}
	sigs, err := bus.NewTailSince(ctx, g.cfg.Bus, g.deps.Now().Add(-g.cfg.ReplayLookback), g.log, schemas.TopicSignatures)
	if err != nil {
		tail.Close()
		state.Close()
		return nil, err
	}
	done := make(chan error, 4)
	go func() { done <- g.door.run(ctx) }()
	go func() {
		done <- tail.Run(ctx, func(replyTo string) bool { return replyTo == g.cfg.Replica }, func(m bus.Message) {
			g.replies.deliver(ctx, m)
		})
	}()
	go func() {
		done <- state.Run(ctx, nil, func(m bus.Message) {
			err := g.holds.Apply(m.Envelope)
			var forged *holds.ForgedError
			switch {
			case errors.As(err, &forged):
				bus.ReportRefusedEvent(ctx, g.deps.Publisher, g.log, "ingress", g.producer, schemas.SecurityForgedEvent, forged, m, g.deps.Now())
			case err != nil:
				g.log.Warn("holds event not applied", "type", m.Envelope.Type, "request_id", m.Envelope.RequestID, "err", err)
			}
		})
	}()
	go func() { done <- sigs.Run(ctx, nil, g.noteSignature) }()
	go func() {
		for _, w := range []struct {
			t     *bus.Tail
			ready chan struct{}
		}{{state, g.holdsReady}, {sigs, g.seenReady}} {
			select {
			case <-w.t.CaughtUp():
				close(w.ready)
			case <-ctx.Done():
				return
			}
		}
	}()
	g.ready.Store(true)
	return func() error { return errors.Join(<-done, <-done, <-done, <-done) }, nil
}

// server is the HTTP server for the configured limits. There is no overall
// read timeout (it would cut off large uploads); bodies are paced by
// readBody instead.
func (g *Ingress) server() *http.Server {
	return &http.Server{
		Handler:           g,
		ReadHeaderTimeout: g.cfg.ReadHeaderTimeout,
		IdleTimeout:       g.cfg.IdleTimeout,
		MaxHeaderBytes:    g.cfg.MaxHeaderBytes,
		ErrorLog:          slog.NewLogLogger(g.log.Handler(), slog.LevelWarn),
	}
}

// Run binds (unless l has listeners), attaches to the replies and serves
// until ctx ends, then shuts down gracefully.
func (g *Ingress) Run(ctx context.Context, l Listener) error {
	if l.Plain == nil && l.TLS == nil {
		var err error
		if l, err = g.Listen(); err != nil {
			return err
		}
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	waitTail, err := g.Attach(ctx)
	if err != nil {
		return err
	}
	srv := g.server()
	errc := make(chan error, 2)
	if l.Plain != nil {
		g.log.Info("serving HTTP", "addr", l.Plain.Addr().String())
		go func() { errc <- srv.Serve(l.Plain) }()
	}
	if l.TLS != nil {
		g.log.Info("serving HTTPS", "addr", l.TLS.Addr().String())
		go func() { errc <- srv.ServeTLS(l.TLS, g.cfg.TLSCert, g.cfg.TLSKey) }()
	}
	select {
	case <-ctx.Done():
	case err := <-errc:
		if !errors.Is(err, http.ErrServerClosed) {
			return fmt.Errorf("ingress: %w", err)
		}
	}
	shut, cancelShut := context.WithTimeout(context.Background(), g.cfg.Wait+5*time.Second)
	defer cancelShut()
	err = srv.Shutdown(shut)
	cancel()
	waitTail()
	return err
}
