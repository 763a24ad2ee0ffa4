package ingress

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/jitgate/jitgate/internal/sigv4"
	"github.com/jitgate/jitgate/schemas"
)

// TestSecurityRefusalFloodIsBounded: someone who captured a genuine signed
// request (not its secret) sends it again and again in a form that is a
// security refusal, while the broker does not answer: with an unsigned
// x-amz-* header added (the signature still matches, so it is refused as
// unsigned input, never claimed as used), or as it was (a replayed
// write). Each is answered at once (the security.refused goes through the
// door log, never on the request path), the door log's queue stays within
// its bound, no goroutine is left per refusal, the strangers' rate bounds
// what is kept (a security.refused and its request.refused together), the
// rest is counted as dropped (and not logged line by line), and what was
// kept is published, in pairs, once the broker answers.
func TestSecurityRefusalFloodIsBounded(t *testing.T) {
	const rate, queue, flood = 10, 16, 200
	cases := []struct {
		name string
		// captured is the request sent again; the call before the flood,
		// when set, is its first (genuine) use.
		captured func(e *env, creds aws.Credentials) *http.Request
		firstUse bool
		status   int
		code     string
		kind     string
		outcome  string
	}{
		{name: "captured request with an unsigned header added", captured: func(e *env, creds aws.Credentials) *http.Request {
			return e.signAt(t, creds, doorReq{method: http.MethodGet, path: "/logs/a.txt", service: "s3", hash: sigv4.UnsignedPayload,
				after: map[string]string{"X-Amz-Meta-Added": "later"}})
		}, status: http.StatusForbidden, code: "AccessDenied", kind: schemas.SecurityUnsignedInput, outcome: schemas.OutcomeUnauthenticated},
		{name: "captured write replayed", captured: func(e *env, creds aws.Credentials) *http.Request {
			return e.signAt(t, creds, doorReq{method: http.MethodPost, path: "/", service: "dynamodb", body: `{"TableName":"t"}`,
				headers: map[string]string{"X-Amz-Target": "DynamoDB_20120810.DeleteTable", "Content-Type": "application/x-amz-json-1.0"}})
		}, firstUse: true, status: http.StatusForbidden, code: "AccessDenied", kind: schemas.SecurityReplay, outcome: schemas.OutcomeRejected},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var logs bytes.Buffer
			var mu sync.Mutex
			e := newEnv(t, envOpts{tune: func(cfg *Config) { cfg.UntrustedRefusalRate, cfg.DoorLogQueue = rate, queue },
				logTo: &lockedWriter{w: &logs, mu: &mu}})
			e.pub.setRespond(ok(`{}`))
			creds := e.agentCreds("agent-1")
			captured := c.captured(e, creds)
			body := ""
			if captured.GetBody != nil {
				rc, _ := captured.GetBody()
				b, _ := io.ReadAll(rc)
				body = string(b)
			}
			resend := func() *http.Request {
				r := captured.Clone(context.Background())
				r.Body = io.NopCloser(strings.NewReader(body))
				return r
			}
			if c.firstUse {
				if a := send(t, resend()); a.status != http.StatusOK {
					t.Fatalf("first use answered %d %s", a.status, a.raw)
				}
			}
			e.flushDoor() // the exchange's session.issued
			e.pub.reset()

			hang := make(chan struct{})
			e.pub.mu.Lock()
			e.pub.hang = hang
			e.pub.mu.Unlock()
			runDoor(t, e)
			goroutines := runtime.NumGoroutine()

			start := time.Now()
			var slowest time.Duration
			maxQueued := 0
			for range flood {
				t0 := time.Now()
				a := send(t, resend())
				slowest = max(slowest, time.Since(t0))
				if a.status != c.status || a.code != c.code {
					t.Fatalf("answered %d %s %s; want %d %s", a.status, a.code, a.raw, c.status, c.code)
				}
				maxQueued = max(maxQueued, len(e.g.door.queue))
			}
			took := time.Since(start)
			if slowest > time.Second {
				t.Errorf("the slowest answer took %s while the broker hangs: a security refusal must not wait on Kafka", slowest)
			}
			if maxQueued > queue {
				t.Errorf("the door log's queue held %d, bound %d", maxQueued, queue)
			}
			if n := runtime.NumGoroutine(); n > goroutines+10 {
				t.Errorf("%d goroutines after the flood, %d before: something is left per refusal", n, goroutines)
			}
			// Each kept call is two events (the security record and the
			// refusal), one token of the strangers' rate.
			calls := rate + int(took.Seconds()*rate) + 1
			dropped := e.g.DroppedDoorEvents()
			if dropped < int64(2*(flood-calls)) || e.g.door.limited.Load() == 0 {
				t.Errorf("dropped %d (rate-limited %d) of %d calls' events; at most %d calls may be kept", dropped, e.g.door.limited.Load(), flood, calls)
			}

			close(hang)
			kept := 2*flood - int(dropped)
			eventually(t, "the kept events published", func() bool { return len(e.pub.published()) == kept })
			outs := e.pub.published()
			security, refused := countType(outs, schemas.TypeSecurityRefused), countType(outs, schemas.TypeRequestRefused)
			if security == 0 || security != refused || security > calls {
				t.Errorf("published %d security.refused and %d request.refused; want as many of each, at most %d", security, refused, calls)
			}
			for _, o := range outs {
				if o.Envelope.Type != schemas.TypeSecurityRefused {
					continue
				}
				ev, err := schemas.DecodeAs[*schemas.SecurityRefused](o.Envelope)
				if err != nil {
					t.Fatal(err)
				}
				r := refusalsOf(t, outs, o.Envelope.RequestID)
				if ev.Kind != c.kind || o.Envelope.ID != o.Envelope.RequestID+"/security.refused" || len(r) != 1 || r[0].Outcome != c.outcome {
					t.Errorf("security.refused %+v with refusals %+v; want %s paired with one %s", ev, r, c.kind, c.outcome)
				}
			}
			noSecrets(t, outs, creds.SessionToken, creds.SecretAccessKey)
			mu.Lock()
			lines := strings.Count(logs.String(), "security: request refused")
			mu.Unlock()
			if lines != security {
				t.Errorf("%d security log lines for %d security.refused kept: a flood must not be logged line by line", lines, security)
			}
		})
	}
}
