package ingress

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/jitgate/jitgate/internal/bus"
	"github.com/jitgate/jitgate/internal/proc"
	"github.com/jitgate/jitgate/schemas"
)

// runDoor runs the gateway's refusal publisher until the test ends (a
// fake-publisher env is never attached).
func runDoor(t *testing.T, e *env) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		e.g.door.run(ctx)
	}()
	t.Cleanup(func() { cancel(); <-done })
}

// refusalsOf returns the request.refused events published for requestID.
func refusalsOf(t *testing.T, outs []bus.Output, requestID string) []*schemas.RequestRefused {
	t.Helper()
	var got []*schemas.RequestRefused
	for _, o := range outs {
		if o.Envelope.Type != schemas.TypeRequestRefused || o.Envelope.RequestID != requestID {
			continue
		}
		if o.Topic != schemas.TopicResponses || o.ReplyTo != "" {
			t.Errorf("request.refused on %s with reply-to %q: want responses, none", o.Topic, o.ReplyTo)
		}
		if o.Envelope.ID != requestID+"/request.refused" {
			t.Errorf("event id %q", o.Envelope.ID)
		}
		ev, err := schemas.DecodeAs[*schemas.RequestRefused](o.Envelope)
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, ev)
	}
	return got
}

// TestThrottledCallIsRecorded: each throttled call ends in exactly one
// request.refused named by the request id the agent saw, with what is
// known of the caller and never its credentials.
func TestThrottledCallIsRecorded(t *testing.T) {
	e := newEnv(t, envOpts{wait: 5 * time.Second, tune: func(c *Config) { c.MaxInFlight, c.MaxInFlightPerPrincipal = 2, 1 }})
	runDoor(t, e)
	release := make(chan struct{})
	e.pub.setRespond(func(ev *schemas.RequestReceived) []schemas.Payload {
		if strings.HasPrefix(ev.Principal.Subject, "busy") {
			<-release
		}
		return ok(`{}`)(ev)
	})
	ctx := context.Background()
	busy := e.agentCreds("busy")
	busy2 := e.agentCreds("busy-2")
	other := e.agentCreds("other")
	var wg sync.WaitGroup
	defer func() { close(release); wg.Wait() }()
	hold := func(creds aws.Credentials, n int) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			e.dynamodb(static(creds)).ListTables(ctx, &dynamodb.ListTablesInput{})
		}()
		eventually(t, "a call in flight", func() bool {
			received := 0
			for _, o := range e.pub.published() {
				if o.Envelope.Type == schemas.TypeRequestReceived {
					received++
				}
			}
			return received == n
		})
	}
	hold(busy, 1)
	cases := []struct {
		name      string
		before    func()
		call      func() error
		status    int
		code      string
		principal string
		signing   string
	}{
		{name: "per principal, json", call: func() error {
			_, err := e.dynamodb(static(busy)).ListTables(ctx, &dynamodb.ListTablesInput{})
			return err
		}, status: http.StatusBadRequest, code: "ThrottlingException", principal: "busy", signing: "dynamodb"},
		{name: "per principal, s3", call: func() error {
			_, err := e.s3(static(busy)).ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String("logs")})
			return err
		}, status: http.StatusServiceUnavailable, code: "SlowDown", principal: "busy", signing: "s3"},
		{name: "replica-wide, before authentication", before: func() { hold(busy2, 2) }, call: func() error {
			_, err := e.dynamodb(static(other)).ListTables(ctx, &dynamodb.ListTablesInput{})
			return err
		}, status: http.StatusBadRequest, code: "ThrottlingException"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if c.before != nil {
				c.before()
			}
			id := checkAPIError(t, e, c.call(), c.status, c.code, "")
			var got []*schemas.RequestRefused
			eventually(t, "the refusal published", func() bool { return len(refusalsOf(t, e.pub.published(), id)) > 0 })
			time.Sleep(50 * time.Millisecond) // a second copy would come from the same batch
			outs := e.pub.published()
			if got = refusalsOf(t, outs, id); len(got) != 1 {
				t.Fatalf("%d request.refused for request %s, want 1", len(got), id)
			}
			ev := got[0]
			if ev.Outcome != schemas.OutcomeThrottled || ev.Error.Code != c.code || ev.Error.Status != c.status || ev.Replica != testReplica || ev.Reason == "" {
				t.Errorf("refusal %+v", ev)
			}
			switch {
			case c.principal == "" && ev.Principal != nil:
				t.Errorf("principal %+v for a call refused before authentication", ev.Principal)
			case c.principal != "" && (ev.Principal == nil || ev.Principal.Subject != c.principal):
				t.Errorf("principal %+v, want %s", ev.Principal, c.principal)
			}
			if ev.SigningName != c.signing {
				t.Errorf("signing name %q, want %q", ev.SigningName, c.signing)
			}
			for _, o := range outs {
				if o.Envelope.RequestID != id {
					continue
				}
				raw, _ := o.Envelope.Marshal()
				for _, secret := range []string{busy.SecretAccessKey, busy.SessionToken, other.SecretAccessKey, other.SessionToken} {
					if bytes.Contains(raw, []byte(secret)) {
						t.Errorf("the refusal carries a credential: %s", raw)
					}
				}
			}
		})
	}
}

// blockingPublisher takes nothing until released: a broker that hangs.
type blockingPublisher struct {
	fakePublisher
	release chan struct{}
}

func (p *blockingPublisher) Publish(ctx context.Context, outs ...bus.Output) error {
	select {
	case <-p.release:
		return p.fakePublisher.Publish(ctx, outs...)
	case <-ctx.Done():
		return ctx.Err()
	}
}

// TestRefusalFloodIsBounded: refusals beyond the queue are dropped and
// counted, not kept; the count is logged once per report, not per refusal.
func TestRefusalFloodIsBounded(t *testing.T) {
	const queue, flood = 16, 5000
	var logs bytes.Buffer
	var mu sync.Mutex
	log := slog.New(slog.NewTextHandler(&lockedWriter{w: &logs, mu: &mu}, nil))
	pub := &blockingPublisher{release: make(chan struct{})}
	d := newDoorLog(queue, 1, pub, log, "ingress/test")
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); d.run(ctx) }()
	for i := range flood {
		d.add(false, doorEvent{requestID: fmt.Sprintf("req-%05d", i), at: time.Now(), ev: &schemas.RequestRefused{Outcome: schemas.OutcomeThrottled}})
	}
	// The publisher holds at most one batch (taken from the queue) while
	// the queue refills: everything else was dropped.
	if n := len(d.queue); n > queue {
		t.Fatalf("queue holds %d, bound %d", n, queue)
	}
	dropped := d.dropped.Load()
	if dropped < flood-queue-doorBatch || dropped > flood-queue {
		t.Fatalf("dropped %d of %d with a queue of %d", dropped, flood, queue)
	}
	close(pub.release)
	eventually(t, "the kept refusals published", func() bool { return int64(len(pub.published())) == flood-dropped })
	cancel()
	<-done
	mu.Lock()
	out := logs.String()
	mu.Unlock()
	if n := strings.Count(out, "refusals at the door (and credential exchanges) dropped"); n != 1 {
		t.Errorf("%d drop reports, want 1:\n%s", n, out)
	}
	if !strings.Contains(out, fmt.Sprintf("dropped_total=%d", dropped)) {
		t.Errorf("the drop report does not count %d:\n%s", dropped, out)
	}
	if strings.Contains(out, "req-0") {
		t.Errorf("a refusal was logged on its own:\n%s", out)
	}
}

type lockedWriter struct {
	w  *bytes.Buffer
	mu *sync.Mutex
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

// TestBrokersDown: while no broker answers, a call is refused at once
// (ServiceUnavailable), not after --wait: nothing was published, so "will
// not run" is true and the SDK may retry. The door opens again once a
// broker answers, and the refusal reaches the log then (the embedded
// broker, stopped and started again on its port with its data).
func TestBrokersDown(t *testing.T) {
	b := startRestartable(t)
	cfg := b.cfg
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	const wait = 30 * time.Second
	e := newEnv(t, envOpts{bus: &cfg, wait: wait, watchBrokers: true})
	creds := static(e.agentCreds("agent-1"))

	b.stop()
	waitFor(t, 10*time.Second, "the ingress to notice the broker is gone", func() bool { return !e.brokers.Reachable() })
	start := time.Now()
	_, err := e.dynamodb(creds).ListTables(context.Background(), &dynamodb.ListTablesInput{})
	if took := time.Since(start); took > wait/2 {
		t.Errorf("refused after %s: a call must be refused at once while no broker answers, not after --wait (%s)", took, wait)
	}
	id := checkAPIError(t, e, err, http.StatusServiceUnavailable, "ServiceUnavailable", "will not run")

	b.start(t)
	waitFor(t, 20*time.Second, "the ingress to find the broker again", e.brokers.Reachable)
	tail, err := bus.NewTail(ctx, cfg, bus.FromStart, nil, schemas.TopicResponses)
	if err != nil {
		t.Fatal(err)
	}
	defer tail.Close()
	found := make(chan *schemas.RequestRefused, 4)
	tctx, tcancel := context.WithTimeout(ctx, 20*time.Second)
	defer tcancel()
	go tail.RunTypes(tctx, []schemas.Type{schemas.TypeRequestRefused}, func(m bus.Message) {
		if m.Envelope.RequestID == id {
			ev, err := schemas.DecodeAs[*schemas.RequestRefused](m.Envelope)
			if err == nil {
				found <- ev
			}
		}
	})
	select {
	case ev := <-found:
		if ev.Outcome != schemas.OutcomeUnavailable || ev.SigningName != "dynamodb" ||
			ev.Principal == nil || ev.Principal.Subject != "agent-1" || ev.Error.Code != "ServiceUnavailable" {
			t.Errorf("refusal %+v", ev)
		}
	case <-tctx.Done():
		t.Fatalf("request %s: no request.refused after the broker came back", id)
	}
	if n := e.g.DroppedDoorEvents(); n != 0 {
		t.Errorf("%d refusals dropped", n)
	}
}

func waitFor(t *testing.T, limit time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(limit)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("waited %s for %s", limit, what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// restartable is an embedded broker that can be stopped and started again
// on the same port and data, with the topics made.
type restartable struct {
	port   int
	dir    string
	broker *bus.Embedded
	cfg    bus.Config
}

func startRestartable(t *testing.T) *restartable {
	t.Helper()
	port, err := proc.FreePort()
	if err != nil {
		t.Fatal(err)
	}
	b := &restartable{port: port, dir: filepath.Join(t.TempDir(), "kafka")}
	b.start(t)
	t.Cleanup(b.stop)
	b.cfg = bus.Config{Brokers: b.broker.Addrs(), Partitions: 1, Replication: 1}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := bus.EnsureTopics(ctx, b.cfg); err != nil {
		t.Fatal(err)
	}
	return b
}

func (b *restartable) start(t *testing.T) {
	t.Helper()
	var err error
	if b.broker, err = bus.StartEmbedded(b.port, b.dir); err != nil {
		t.Fatal(err)
	}
}

func (b *restartable) stop() {
	if b.broker != nil {
		b.broker.Close()
		b.broker = nil
	}
}
