package ingress

import (
	"bytes"
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/xml"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	awssts "github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/jitgate/jitgate/internal/awsmodel"
	"github.com/jitgate/jitgate/internal/bus"
	"github.com/jitgate/jitgate/internal/devissuer"
	"github.com/jitgate/jitgate/internal/ids"
	"github.com/jitgate/jitgate/internal/rolelist"
	"github.com/jitgate/jitgate/internal/session"
	"github.com/jitgate/jitgate/internal/sts"
	"github.com/jitgate/jitgate/schemas"
)

const (
	testAudience = "jitgate"
	testRole     = "arn:aws:iam::123456789012:role/agents/reader"
	testRegion   = "eu-west-1"
	testReplica  = "ingress-test"
)

// envOpts shape one test gateway; zero values take the defaults below.
type envOpts struct {
	wait    time.Duration    // default 10s
	maxBody int64            // default the package's
	now     func() time.Time // default time.Now
	// bus, when set, makes the gateway publish to these brokers and follow
	// replies and holds from them (Attach); otherwise a fakePublisher
	// captures what it publishes.
	bus *bus.Config
	// replica defaults to testReplica.
	replica string
	// noAttach leaves a bus-backed gateway unattached (readiness tests).
	noAttach bool
	// sealer, when set, is shared with another env: replicas of one
	// gateway open each other's sessions.
	sealer *session.Sealer
	// tune adjusts the configuration (limits, timeouts) before New.
	tune func(*Config)
	// watchBrokers, with bus, refuses calls at once while no broker
	// answers, as the ingress role does.
	watchBrokers bool
	// logTo receives the gateway's log (text); default discarded.
	logTo io.Writer
}

// env is one gateway served on loopback with a trusted development issuer
// and an untrusted one.
type env struct {
	t                testing.TB
	iss, stranger    *devissuer.Issuer
	sealer           *session.Sealer
	g                *Ingress
	url              string
	pub              *fakePublisher    // nil with a bus
	brokers          *bus.Reachability // with watchBrokers
	rec              *recorder         // last exchange of the SDK clients
	attach           func()            // attaches a noAttach gateway
	cancel           context.CancelFunc
	stsSvc           *sts.Service
	models           *awsmodel.Index
	wait             time.Duration
	cfg              Config
	agentCredsCached map[string]aws.Credentials
}

// serveIssuer mounts a fresh development issuer under /oidc on loopback.
func serveIssuer(t testing.TB) *devissuer.Issuer {
	t.Helper()
	mux := http.NewServeMux()
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	iss, err := devissuer.New(srv.URL + "/oidc")
	if err != nil {
		t.Fatal(err)
	}
	mux.Handle("/oidc/", http.StripPrefix("/oidc", iss))
	return iss
}

func newEnv(t testing.TB, o envOpts) *env {
	t.Helper()
	if o.wait == 0 {
		o.wait = 10 * time.Second
	}
	if o.replica == "" {
		o.replica = testReplica
	}
	e := &env{t: t, iss: serveIssuer(t), stranger: serveIssuer(t), rec: &recorder{}, wait: o.wait, agentCredsCached: map[string]aws.Credentials{}}
	var err error
	if e.sealer = o.sealer; e.sealer == nil {
		if e.sealer, err = session.NewSealer(session.GenerateKey()); err != nil {
			t.Fatal(err)
		}
	}
	e.stsSvc, err = sts.New(context.Background(), sts.Config{
		Issuers:      []sts.IssuerConfig{{URL: e.iss.URL(), Audience: testAudience}},
		Sealer:       e.sealer,
		AllowedRoles: rolelist.MustParse(testRole),
	})
	if err != nil {
		t.Fatal(err)
	}
	if e.models, err = awsmodel.Load(); err != nil {
		t.Fatal(err)
	}
	cfg := Config{Listen: "127.0.0.1:0", Replica: o.replica, Wait: o.wait, MaxBody: o.maxBody}
	var pub Publisher
	var brokers Reachability
	if o.bus != nil {
		cfg.Bus = *o.bus
		p, err := bus.NewPublisher(*o.bus)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(p.Close)
		pub = p
		if o.watchBrokers {
			ctx, cancel := context.WithCancel(context.Background())
			t.Cleanup(cancel)
			e.brokers = p.WatchReachability(ctx, slog.New(slog.NewTextHandler(io.Discard, nil)))
			brokers = e.brokers
		}
	} else {
		cfg.Bus = bus.Config{Brokers: []string{"127.0.0.1:1"}} // never dialled
		e.pub = &fakePublisher{}
		pub = e.pub
	}
	if o.tune != nil {
		o.tune(&cfg)
	}
	e.cfg = cfg
	e.g, err = New(cfg, Deps{
		STS: e.stsSvc, Auth: e.stsSvc, Sealer: e.sealer, Models: e.models, Publisher: pub, Brokers: brokers,
		Logger: slog.New(slog.NewTextHandler(cmp.Or(o.logTo, io.Discard), nil)), Now: o.now, HoldsKey: testHoldsKey,
	})
	if err != nil {
		t.Fatal(err)
	}
	if e.pub != nil {
		e.pub.g = e.g
	}
	srv := httptest.NewServer(e.g)
	e.url = srv.URL
	ctx, cancel := context.WithCancel(context.Background())
	var wait func() error
	e.attach = func() {
		t.Helper()
		w, err := e.g.Attach(ctx)
		if err != nil {
			t.Fatal(err)
		}
		wait = w
	}
	// Cleanups run last-in first-out: stop the tails after the server.
	t.Cleanup(func() {
		cancel()
		if wait != nil {
			wait()
		}
	})
	t.Cleanup(srv.Close)
	if o.bus != nil && !o.noAttach {
		e.attach()
	}
	return e
}

// mint returns an OIDC token of the trusted issuer.
func (e *env) mint(subject string, groups ...string) string {
	e.t.Helper()
	tok, err := e.iss.Mint(subject, groups, testAudience, time.Hour)
	if err != nil {
		e.t.Fatal(err)
	}
	return tok
}

// assumeRoleXML is the part of the AssumeRoleWithWebIdentity answer used here.
type assumeRoleXML struct {
	Result struct {
		Credentials struct {
			AccessKeyID     string `xml:"AccessKeyId"`
			SecretAccessKey string `xml:"SecretAccessKey"`
			SessionToken    string `xml:"SessionToken"`
		} `xml:"Credentials"`
	} `xml:"AssumeRoleWithWebIdentityResult"`
}

// agentCreds exchanges a token for subject at the gateway's STS endpoint,
// the way an agent does: an unsigned POST of the query form.
func (e *env) agentCreds(subject string) aws.Credentials {
	e.t.Helper()
	if c, ok := e.agentCredsCached[subject]; ok {
		return c
	}
	form := url.Values{
		"Action": {"AssumeRoleWithWebIdentity"}, "Version": {"2011-06-15"},
		"RoleArn": {testRole}, "RoleSessionName": {"test-" + subject}, "WebIdentityToken": {e.mint(subject, "agents")},
	}
	resp, err := http.PostForm(e.url, form)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		e.t.Fatalf("AssumeRoleWithWebIdentity: %d %s", resp.StatusCode, body)
	}
	var out assumeRoleXML
	if err := xml.Unmarshal(body, &out); err != nil {
		e.t.Fatalf("decode %s: %v", body, err)
	}
	c := out.Result.Credentials
	if !session.IsAccessKeyID(c.AccessKeyID) || c.SecretAccessKey == "" || c.SessionToken == "" {
		e.t.Fatalf("credentials %q", c.AccessKeyID)
	}
	creds := aws.Credentials{AccessKeyID: c.AccessKeyID, SecretAccessKey: c.SecretAccessKey, SessionToken: c.SessionToken}
	e.agentCredsCached[subject] = creds
	return creds
}

func static(c aws.Credentials) aws.CredentialsProvider {
	return credentials.NewStaticCredentialsProvider(c.AccessKeyID, c.SecretAccessKey, c.SessionToken)
}

// awsConfig is an SDK configuration pointed at the gateway, without retries.
func (e *env) awsConfig(creds aws.CredentialsProvider) aws.Config {
	return aws.Config{
		Region:       testRegion,
		Credentials:  creds,
		HTTPClient:   &http.Client{Transport: e.rec},
		Retryer:      func() aws.Retryer { return aws.NopRetryer{} },
		BaseEndpoint: aws.String(e.url),
	}
}

func (e *env) s3(creds aws.CredentialsProvider) *s3.Client {
	return s3.NewFromConfig(e.awsConfig(creds), func(o *s3.Options) { o.UsePathStyle = true })
}

func (e *env) dynamodb(creds aws.CredentialsProvider) *dynamodb.Client {
	return dynamodb.NewFromConfig(e.awsConfig(creds))
}

func (e *env) sts(creds aws.CredentialsProvider) *awssts.Client {
	return awssts.NewFromConfig(e.awsConfig(creds))
}

func (e *env) iam(creds aws.CredentialsProvider) *iam.Client {
	return iam.NewFromConfig(e.awsConfig(creds))
}

func (e *env) ec2(creds aws.CredentialsProvider) *ec2.Client {
	return ec2.NewFromConfig(e.awsConfig(creds))
}

func (e *env) lambda(creds aws.CredentialsProvider) *lambda.Client {
	return lambda.NewFromConfig(e.awsConfig(creds))
}

// recorder is the SDK clients' transport; it keeps the last exchange's
// request headers and response status and headers.
type recorder struct {
	mu      sync.Mutex
	reqHdr  http.Header
	reqURL  string
	status  int
	respHdr http.Header
}

func (r *recorder) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := http.DefaultTransport.RoundTrip(req)
	r.mu.Lock()
	defer r.mu.Unlock()
	r.reqHdr, r.reqURL = req.Header.Clone(), req.URL.String()
	r.status, r.respHdr = 0, nil
	if err == nil {
		r.status, r.respHdr = resp.StatusCode, resp.Header.Clone()
	}
	return resp, err
}

func (r *recorder) last() (reqHdr http.Header, status int, respHdr http.Header) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.reqHdr, r.status, r.respHdr
}

// fakePublisher captures what the gateway publishes and, through respond,
// answers requests in-process the way the responses tail would.
type fakePublisher struct {
	g  *Ingress
	mu sync.Mutex
	// outs are every published output but signature.seen, in order.
	outs []bus.Output
	// sigs are the signature.seen outputs (replay protection), in order.
	sigs []bus.Output
	// err fails every Publish.
	err error
	// hang, while open, makes every Publish wait for it or its context:
	// a broker that does not answer.
	hang chan struct{}
	// respond returns the reply events (response.ready, then any
	// response.body_chunk) for a published request; nil answers nothing.
	respond func(ev *schemas.RequestReceived) []schemas.Payload
}

func (p *fakePublisher) Publish(ctx context.Context, outs ...bus.Output) error {
	p.mu.Lock()
	hang := p.hang
	p.mu.Unlock()
	if hang != nil {
		select {
		case <-hang:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	p.mu.Lock()
	for _, o := range outs {
		if o.Topic == schemas.TopicSignatures {
			p.sigs = append(p.sigs, o)
		} else {
			p.outs = append(p.outs, o)
		}
	}
	err, respond := p.err, p.respond
	p.mu.Unlock()
	if err != nil {
		return err
	}
	for _, o := range outs {
		if o.Envelope.Type != schemas.TypeRequestReceived || respond == nil {
			continue
		}
		ev, err := schemas.DecodeAs[*schemas.RequestReceived](o.Envelope)
		if err != nil {
			return err
		}
		for _, reply := range respond(ev) {
			env, err := schemas.NewEnvelope(ids.New(), o.Envelope.RequestID, "test", time.Now(), reply)
			if err != nil {
				return err
			}
			p.g.replies.deliver(ctx, bus.Message{Topic: schemas.TopicResponses, Envelope: env})
		}
	}
	return nil
}

// Stream captures a body's chunks like Publish, in order; the first one's
// record is named by its index among everything published.
func (p *fakePublisher) Stream() bus.Stream { return &fakeStream{p: p, first: -1} }

type fakeStream struct {
	p     *fakePublisher
	first int64
}

// Send keeps a copy of a chunk's data, as bus.Stream does: the ingress
// reuses its chunk buffers once Send returns.
func (s *fakeStream) Send(ctx context.Context, o bus.Output) error {
	if ch, err := schemas.DecodeAs[*schemas.RequestBodyChunk](o.Envelope); err == nil {
		ch.Data = bytes.Clone(ch.Data)
		env := o.Envelope
		if o.Envelope, err = schemas.NewEnvelope(env.ID, env.RequestID, env.Producer, env.Time, ch); err != nil {
			return err
		}
	}
	s.p.mu.Lock()
	if s.first < 0 {
		s.first = int64(len(s.p.outs))
	}
	s.p.mu.Unlock()
	return s.p.Publish(ctx, o)
}

func (s *fakeStream) Close(context.Context) (schemas.RecordRef, error) {
	s.p.mu.Lock()
	defer s.p.mu.Unlock()
	if s.p.err != nil {
		return schemas.RecordRef{}, s.p.err
	}
	return schemas.RecordRef{Topic: "jitgate." + schemas.TopicBodies, Offset: max(s.first, 0)}, nil
}

// flushDoor publishes, at once, what the door log has queued (refusals
// are queued before they are answered) and returns everything published.
func (e *env) flushDoor() []bus.Output {
	e.g.door.flush(nil)
	return e.pub.published()
}

func (p *fakePublisher) published() []bus.Output {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]bus.Output(nil), p.outs...)
}

func (p *fakePublisher) signatures() []bus.Output {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]bus.Output(nil), p.sigs...)
}

func (p *fakePublisher) setRespond(f func(ev *schemas.RequestReceived) []schemas.Payload) {
	p.mu.Lock()
	p.respond = f
	p.mu.Unlock()
}

func (p *fakePublisher) reset() {
	p.mu.Lock()
	p.outs, p.sigs = nil, nil
	p.mu.Unlock()
}

// lastRequest returns the last published request.received and its envelope.
func (p *fakePublisher) lastRequest(t *testing.T) (schemas.Envelope, *schemas.RequestReceived) {
	t.Helper()
	outs := p.published()
	for i := len(outs) - 1; i >= 0; i-- {
		if outs[i].Envelope.Type == schemas.TypeRequestReceived {
			ev, err := schemas.DecodeAs[*schemas.RequestReceived](outs[i].Envelope)
			if err != nil {
				t.Fatal(err)
			}
			return outs[i].Envelope, ev
		}
	}
	t.Fatal("no request.received published")
	return schemas.Envelope{}, nil
}

// ok answers every request with 200 and body.
func ok(body string, headers ...schemas.Header) func(*schemas.RequestReceived) []schemas.Payload {
	return func(*schemas.RequestReceived) []schemas.Payload {
		return []schemas.Payload{&schemas.ResponseReady{Outcome: schemas.OutcomeExecuted, Response: &schemas.HTTPResponse{
			Status: http.StatusOK, Headers: headers, Body: []byte(body), BodySize: int64(len(body)),
		}}}
	}
}

// refuse answers every request with an API error.
func refuse(status int, code, msg string) func(*schemas.RequestReceived) []schemas.Payload {
	return func(*schemas.RequestReceived) []schemas.Payload {
		return []schemas.Payload{&schemas.ResponseReady{Outcome: schemas.OutcomeDenied,
			Error: &schemas.APIError{Status: status, Code: code, Message: msg}}}
	}
}

// eventually polls cond until it holds or the deadline passes.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func get(t *testing.T, u string, hdr ...string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, u, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, h := range hdr {
		k, v, _ := strings.Cut(h, ": ")
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func sha256Hex(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// startBus starts an embedded broker with every jitgate topic.
func startBus(t *testing.T) bus.Config {
	t.Helper()
	b, err := bus.StartEmbedded(0, "")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(b.Close)
	cfg := bus.Config{Brokers: b.Addrs(), Partitions: 2, Replication: 1}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := bus.EnsureTopics(ctx, cfg); err != nil {
		t.Fatal(err)
	}
	return cfg
}

// publishAll publishes payloads through a fresh publisher.
func publishAll(t *testing.T, cfg bus.Config, outs ...bus.Output) {
	t.Helper()
	p, err := bus.NewPublisher(cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	if err := p.Publish(ctx, outs...); err != nil {
		t.Fatal(err)
	}
}

// output wraps p in an envelope for requestID.
func output(t *testing.T, topic, key, requestID, replyTo string, at time.Time, p schemas.Payload) bus.Output {
	t.Helper()
	env, err := schemas.NewEnvelope(ids.New(), requestID, "test", at, p)
	if err != nil {
		t.Fatal(err)
	}
	if role, ok := schemas.Writer(env.Type); ok {
		// Sealed as its entitled writer seals it.
		env.Producer = schemas.ProducerName(role, "test")
		if err := schemas.Seal(&env, testHoldsKey); err != nil {
			t.Fatal(err)
		}
	}
	return bus.Output{Topic: topic, Key: key, ReplyTo: replyTo, Envelope: env}
}

// testHoldsKey is the holds key of every test gateway.
var testHoldsKey = []byte("holds-key-0123456789abcdef012345")

// respondFromBus plays the pipeline behind the gateway: it follows the
// requests topic and publishes what script returns for each request.
func respondFromBus(t *testing.T, cfg bus.Config, script func(requestID string, ev *schemas.RequestReceived) []bus.Output) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	tail, err := bus.NewTail(ctx, cfg, bus.FromEnd, slog.New(slog.NewTextHandler(io.Discard, nil)), schemas.TopicRequests)
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	p, err := bus.NewPublisher(cfg)
	if err != nil {
		cancel()
		tail.Close()
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		tail.Run(ctx, nil, func(m bus.Message) {
			if m.Envelope.Type != schemas.TypeRequestReceived {
				return
			}
			ev, err := schemas.DecodeAs[*schemas.RequestReceived](m.Envelope)
			if err != nil {
				t.Errorf("undecodable request: %v", err)
				return
			}
			if outs := script(m.Envelope.RequestID, ev); len(outs) > 0 {
				if err := p.Publish(ctx, outs...); err != nil && ctx.Err() == nil {
					t.Errorf("reply: %v", err)
				}
			}
		})
	}()
	t.Cleanup(func() {
		cancel()
		<-done
		p.Close()
	})
}
