package bench

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
)

// Target names, in the order reports list them.
const (
	TargetUpstream = "upstream" // the canned upstream, called directly
	TargetProxy    = "proxy"    // httputil.ReverseProxy in front of it: the floor
	TargetDev      = "dev"      // `jitgate dev`, embedded broker, one process
	TargetRoles    = "roles"    // one process per role on a real Kafka broker

	// BaseSuffix marks a target that runs Config.Baseline instead of
	// Config.Jitgate ("dev-base", "roles-base"): a before/after pair
	// measured alternately in one invocation.
	BaseSuffix = "-base"
)

// baseOf is the target a (possibly baseline) target name runs.
func baseOf(name string) string { return strings.TrimSuffix(name, BaseSuffix) }

// AllTargets lists every target.
var AllTargets = []string{TargetUpstream, TargetProxy, TargetDev, TargetRoles}

// targetLabels describe each target in reports.
var targetLabels = map[string]string{
	TargetUpstream: "canned upstream, directly",
	TargetProxy:    "httputil.ReverseProxy (the floor)",
	TargetDev:      "jitgate dev (embedded broker)",
	TargetRoles:    "jitgate roles as processes, real Kafka",
}

// targetLabel describes a target, baseline ones included.
func targetLabel(name string) string {
	if l, ok := targetLabels[name]; ok {
		return l
	}
	return targetLabels[baseOf(name)] + ", baseline binary"
}

// target is something the load generator can call.
type target struct {
	name  string
	agent func(ctx context.Context, i int) (Agent, error)
	close func()
	// watch are the processes whose CPU and Kafka requests each run
	// reads (none for the upstream and the proxy, which live in the
	// harness's own process beside the load generator).
	watch []watched

	mu     sync.Mutex
	hc     *awshttp.BuildableClient
	agents []clients
}

// kinds maps each watched process to its kind.
func (t *target) kinds() map[string]string {
	m := map[string]string{}
	for _, w := range t.watch {
		m[w.name] = w.kind
	}
	return m
}

// pool returns the clients of the first n agents, creating them (for a
// gateway: exchanging OIDC tokens for sessions) on first use.
func (t *target) pool(ctx context.Context, n int) (pool, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.hc == nil {
		t.hc = newHTTPClient()
	}
	for i := len(t.agents); i < n; i++ {
		a, err := t.agent(ctx, i)
		if err != nil {
			return nil, fmt.Errorf("%s: agent %d: %w", t.name, i, err)
		}
		t.agents = append(t.agents, newClients(a, t.hc))
	}
	return pool(t.agents[:n]), nil
}

// staticAgent is the one identity the upstream and the proxy are called
// with: neither checks signatures.
var staticAgent = aws.Credentials{AccessKeyID: "AKIABENCHDIRECT00000", SecretAccessKey: "bench-direct-secret-not-checked-by-anyone"}

// serve runs h on a fresh loopback port and returns its base URL and a
// function that stops it.
func serve(h http.Handler) (string, func(), error) { return serveOn("127.0.0.1:0", h) }

// serveOn is serve on a given address.
func serveOn(addr string, h http.Handler) (string, func(), error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return "", nil, err
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	go srv.Serve(ln)
	return "http://" + ln.Addr().String(), func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		srv.Shutdown(ctx)
	}, nil
}

// upstreamTarget calls the canned upstream at base directly.
func upstreamTarget(base string) *target {
	return &target{name: TargetUpstream, close: func() {},
		agent: func(context.Context, int) (Agent, error) { return Agent{Endpoint: base, Creds: staticAgent}, nil }}
}

// proxyTarget puts a plain httputil.ReverseProxy in front of base: what
// any Go gateway costs before it does anything of its own.
func proxyTarget(base string) (*target, error) {
	u, err := url.Parse(base)
	if err != nil {
		return nil, err
	}
	rp := httputil.NewSingleHostReverseProxy(u)
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.MaxIdleConns, tr.MaxIdleConnsPerHost = 1024, 512
	rp.Transport = tr
	addr, stop, err := serve(rp)
	if err != nil {
		return nil, err
	}
	return &target{name: TargetProxy, close: func() { stop(); tr.CloseIdleConnections() },
		agent: func(context.Context, int) (Agent, error) { return Agent{Endpoint: addr, Creds: staticAgent}, nil }}, nil
}
