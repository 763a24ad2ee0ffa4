package ingress

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/jitgate/jitgate/internal/sigv4"
	"github.com/jitgate/jitgate/schemas"
)

// trickle yields n bytes, one every gap.
type trickle struct {
	n   int
	gap time.Duration
}

func (r *trickle) Read(p []byte) (int, error) {
	if r.n == 0 {
		return 0, io.EOF
	}
	time.Sleep(r.gap)
	p[0] = 'x'
	r.n--
	return 1, nil
}

func TestSlowBodyCutOff(t *testing.T) {
	e := newEnv(t, envOpts{tune: func(c *Config) {
		c.BodyGrace, c.BodyMinRate, c.BodyIdleTimeout = 300*time.Millisecond, 1024, 2*time.Second
	}})
	e.pub.setRespond(ok(""))
	const size = 100 // at one byte per 200ms: 20s if never cut off
	build, _ := e.sign(t, e.agentCreds("agent-1"), signedReq{method: http.MethodPut, path: "/logs/slow.bin", service: "s3",
		hash: sigv4.UnsignedPayload, headers: map[string]string{"Content-Length": fmt.Sprint(size)}})
	req := build()
	req.Body, req.ContentLength = io.NopCloser(&trickle{n: size, gap: 200 * time.Millisecond}), size
	start := time.Now()
	resp, err := http.DefaultClient.Do(req)
	took := time.Since(start)
	if err == nil {
		defer resp.Body.Close()
		raw, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != http.StatusBadRequest || !strings.Contains(string(raw), "<Code>RequestTimeout</Code>") ||
			!strings.Contains(string(raw), "too slowly") {
			t.Fatalf("slow body answered %d %s", resp.StatusCode, raw)
		}
	}
	if took > 10*time.Second {
		t.Fatalf("slow body held the connection for %s (err %v)", took, err)
	}
	if n := len(e.pub.published()); n != 0 {
		t.Errorf("%d events published for a body never received", n)
	}
	// A body at a usable speed passes under the same limits.
	fast := build()
	fast.Body, fast.ContentLength = io.NopCloser(strings.NewReader(strings.Repeat("x", size))), size
	if a := send(t, fast); a.status != http.StatusOK {
		t.Fatalf("normal body answered %d %s", a.status, a.raw)
	}
}

// zeros is an endless body that costs the sender no memory.
type zeros struct{}

func (zeros) Read(p []byte) (int, error) { clear(p); return len(p), nil }

// TestGarbageAuthorizationBodiesNotRead: strangers' bodies are not read, so
// four 64 MiB uploads with an Authorization header that does not open a
// session leave the heap where it was (the old ingress buffered each one
// whole: 256 MiB and more).
func TestGarbageAuthorizationBodiesNotRead(t *testing.T) {
	e := newEnv(t, envOpts{}) // --max-body at its default, 256 MiB
	creds := e.agentCreds("agent-1")
	const bodySize, uploads = 64 << 20, 4
	const bound = 32 << 20 // heap growth allowed while they arrive
	authz := []string{
		"garbage",
		"AWS4-HMAC-SHA256 Credential=" + strings.Repeat("A", 200),
		// Well formed, with a forged session token.
		"AWS4-HMAC-SHA256 Credential=" + creds.AccessKeyID + "/20261126/eu-west-1/s3/aws4_request, SignedHeaders=host;x-amz-security-token, Signature=" + strings.Repeat("ab", 32),
		"AWS4-HMAC-SHA256 Credential=JGIAAAAAAAAAAAAAAAAA/20261126/eu-west-1/s3/aws4_request, SignedHeaders=host, Signature=" + strings.Repeat("cd", 32),
	}
	runtime.GC()
	var base runtime.MemStats
	runtime.ReadMemStats(&base)
	var peak uint64
	stop := make(chan struct{})
	sampled := make(chan struct{})
	go func() {
		defer close(sampled)
		var m runtime.MemStats
		for {
			runtime.ReadMemStats(&m)
			peak = max(peak, m.HeapInuse)
			select {
			case <-stop:
				return
			case <-time.After(5 * time.Millisecond):
			}
		}
	}()
	var wg sync.WaitGroup
	statuses := make([]int, uploads)
	for i := range uploads {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			req, _ := http.NewRequestWithContext(ctx, http.MethodPut, e.url+"/logs/big.bin", io.LimitReader(zeros{}, bodySize))
			req.ContentLength = bodySize
			req.Header.Set("Authorization", authz[i%len(authz)])
			req.Header.Set("X-Amz-Security-Token", "forged-token")
			req.Header.Set("X-Amz-Date", time.Now().UTC().Format("20060102T150405Z"))
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				return // the gateway may close while the body is still being sent
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			statuses[i] = resp.StatusCode
		}()
	}
	wg.Wait()
	close(stop)
	<-sampled
	if peak > base.HeapInuse && peak-base.HeapInuse > bound {
		t.Fatalf("heap in use grew by %d MiB while %d garbage-authorized %d MiB bodies arrived; bound %d MiB",
			(peak-base.HeapInuse)>>20, uploads, bodySize>>20, bound>>20)
	}
	for i, s := range statuses {
		if s != 0 && s < 400 {
			t.Errorf("upload %d answered %d", i, s)
		}
	}
	if n := len(e.pub.published()); n != 0 {
		t.Errorf("%d events published", n)
	}
}

func TestThrottledInFlight(t *testing.T) {
	e := newEnv(t, envOpts{wait: 5 * time.Second, tune: func(c *Config) { c.MaxInFlight, c.MaxInFlightPerPrincipal = 3, 1 }})
	release := make(chan struct{})
	e.pub.setRespond(func(ev *schemas.RequestReceived) []schemas.Payload {
		if ev.Principal.Subject == "busy" {
			<-release // a call that waits for its outcome
		}
		return ok(`{}`)(ev)
	})
	ctx := context.Background()
	busy := static(e.agentCreds("busy"))
	done := make(chan error, 1)
	go func() {
		_, err := e.dynamodb(busy).ListTables(ctx, &dynamodb.ListTablesInput{})
		done <- err
	}()
	eventually(t, "the first call in flight", func() bool { return len(e.pub.published()) == 1 })
	cases := []struct {
		name   string
		call   func() error
		status int
		code   string
	}{
		{"json", func() error { _, err := e.dynamodb(busy).ListTables(ctx, &dynamodb.ListTablesInput{}); return err },
			http.StatusBadRequest, "ThrottlingException"},
		{"s3", func() error {
			_, err := e.s3(busy).ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String("logs")})
			return err
		}, http.StatusServiceUnavailable, "SlowDown"},
		{"query", func() error { return callIAM(ctx, e, busy) }, http.StatusBadRequest, "Throttling"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := c.call()
			checkAPIError(t, e, err, c.status, c.code, "too many calls in flight for busy")
			if _, _, hdr := e.rec.last(); hdr.Get("Retry-After") != "1" {
				t.Errorf("Retry-After %q", hdr.Get("Retry-After"))
			}
		})
	}
	// Another principal is not held back by busy's calls.
	if _, err := e.dynamodb(static(e.agentCreds("other"))).ListTables(ctx, &dynamodb.ListTablesInput{}); err != nil {
		t.Fatalf("another principal: %v", err)
	}
	close(release)
	if err := <-done; err != nil {
		t.Fatalf("the waiting call: %v", err)
	}
	if _, err := e.dynamodb(busy).ListTables(ctx, &dynamodb.ListTablesInput{}); err != nil {
		t.Fatalf("after the first call ended: %v", err)
	}
}

func TestServerLimits(t *testing.T) {
	e := newEnv(t, envOpts{tune: func(c *Config) { c.ReadHeaderTimeout = 300 * time.Millisecond }})
	srv := e.g.server()
	if srv.MaxHeaderBytes != DefaultMaxHeaderBytes || srv.IdleTimeout != DefaultIdleTimeout || srv.ReadHeaderTimeout != 300*time.Millisecond {
		t.Fatalf("server limits: headers %d idle %s read header %s", srv.MaxHeaderBytes, srv.IdleTimeout, srv.ReadHeaderTimeout)
	}
	ts := httptest.NewUnstartedServer(e.g)
	ts.Config = srv
	ts.Start()
	t.Cleanup(ts.Close)

	t.Run("oversized headers", func(t *testing.T) {
		status, _ := get(t, ts.URL+"/logs/k", "X-Amz-Meta-Big: "+strings.Repeat("x", 2*DefaultMaxHeaderBytes))
		if status != http.StatusRequestHeaderFieldsTooLarge {
			t.Fatalf("status %d, want 431", status)
		}
	})
	t.Run("headers trickled in", func(t *testing.T) {
		conn, err := net.Dial("tcp", ts.Listener.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		fmt.Fprint(conn, "GET /logs/k HTTP/1.1\r\nHost: x\r\n") // and never the end of the headers
		conn.SetReadDeadline(time.Now().Add(10 * time.Second))
		_, err = bufio.NewReader(conn).ReadByte()
		if ne, ok := err.(net.Error); ok && ne.Timeout() {
			t.Fatal("the gateway kept a connection whose headers never ended")
		}
	})
}
