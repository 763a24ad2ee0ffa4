package cluster

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/http"
	"path/filepath"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/jitgate/jitgate/internal/devissuer"
	"github.com/jitgate/jitgate/internal/proc"
	"github.com/jitgate/jitgate/internal/session"
)

// Cluster is a running set of jitgate role processes.
type Cluster struct {
	cfg Config
	// Endpoints are the ingresses' base URLs, in instance order.
	Endpoints []string
	issuer    *devissuer.Issuer
	issuerSrv *http.Server

	mu      sync.Mutex
	members map[string]*member // by instance name
	names   []string           // in start order
}

// member is one role process, started again with the same arguments and
// environment after a kill.
type member struct {
	role  Role
	spec  proc.Spec
	ready func(context.Context) error // nil: running is ready
	p     *proc.Process
	runs  int // how many times it was started
}

// Start starts the issuer and every role's processes, and waits until
// every ingress is ready (the other roles have no probe; they are running).
// On error everything started is stopped.
func Start(ctx context.Context, cfg Config) (*Cluster, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	c := &Cluster{cfg: cfg, members: map[string]*member{}}
	if err := c.startIssuer(); err != nil {
		return nil, err
	}
	common := []string{
		"JITGATE_KAFKA=" + cfg.Kafka,
		"JITGATE_TOPIC_PREFIX=" + cfg.TopicPrefix,
		"JITGATE_PARTITIONS=" + strconv.Itoa(cfg.Partitions), "JITGATE_REPLICATION=1",
		"JITGATE_DECISION_KEY=" + hex.EncodeToString(session.GenerateKey()),
		"JITGATE_HOLDS_KEY=" + hex.EncodeToString(session.GenerateKey()),
		"JITGATE_LOG_LEVEL=" + cfg.LogLevel,
	}
	sessionKeys := session.EncodeKey(session.GenerateKey())
	wait := cfg.Wait.String()
	for _, role := range Roles {
		for i := 1; i <= cfg.replicas(role); i++ {
			name := fmt.Sprintf("%s-%d", role, i)
			env := slices.Clone(common)
			args := []string{string(role)}
			var ready func(context.Context) error
			switch role {
			case Ingress:
				port, err := proc.FreePort()
				if err != nil {
					c.Close()
					return nil, err
				}
				listen := net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
				env = append(env, "JITGATE_SESSION_KEYS="+sessionKeys, "JITGATE_OIDC_ISSUER="+c.issuer.URL(),
					"JITGATE_OIDC_AUDIENCE="+cfg.Audience, "JITGATE_ALLOWED_ROLES="+cfg.AllowedRoles)
				args = append(args, "--listen", listen, "--tls-listen", "", "--instance", name, "--wait", wait)
				c.Endpoints = append(c.Endpoints, "http://"+listen)
				ready = proc.HTTPReady("http://" + listen + "/readyz")
			case Decider:
				args = append(args, "--instance", name, "--policy", cfg.Policy)
			case Executor:
				env = append(env, gatewayEnv(cfg)...)
				env = append(env, "JITGATE_ALLOWED_ROLES="+cfg.AllowedRoles)
				args = append(args, "--instance", name, "--upstream", cfg.Upstream, "--max-wait", wait)
			case Masker:
				args = append(args, "--instance", name)
			case Recorder:
				args = append(args, "--instance", name, "--clickhouse", cfg.ClickHouse)
			}
			args = append(args, cfg.Args[role]...)
			m := &member{role: role, ready: ready, spec: proc.Spec{Name: name, Path: cfg.Bin, Args: args, Env: env}}
			c.members[name] = m
			c.names = append(c.names, name)
			if err := c.run(m); err != nil {
				c.Close()
				return nil, err
			}
		}
	}
	for _, name := range c.Names(Ingress) {
		if err := c.waitReady(ctx, c.members[name]); err != nil {
			c.Close()
			return nil, err
		}
	}
	return c, nil
}

// gatewayEnv gives the executor the gateway's credentials and keeps it
// from reading any shared AWS configuration.
func gatewayEnv(cfg Config) []string {
	return []string{
		"AWS_ACCESS_KEY_ID=" + cfg.Gateway.AccessKeyID, "AWS_SECRET_ACCESS_KEY=" + cfg.Gateway.SecretAccessKey,
		"AWS_SESSION_TOKEN=" + cfg.Gateway.SessionToken, "AWS_PROFILE=",
		"AWS_REGION=" + DefaultRegion, "AWS_CONFIG_FILE=/dev/null", "AWS_SHARED_CREDENTIALS_FILE=/dev/null", "AWS_EC2_METADATA_DISABLED=true",
	}
}

// run starts m; its log is NAME.log, then NAME.2.log and so on for each
// restart, so a killed process's last words stay readable.
func (c *Cluster) run(m *member) error {
	m.runs++
	log := m.spec.Name + ".log"
	if m.runs > 1 {
		log = fmt.Sprintf("%s.%d.log", m.spec.Name, m.runs)
	}
	spec := m.spec
	spec.Log = filepath.Join(c.cfg.Dir, log)
	p, err := proc.Start(spec)
	if err != nil {
		return err
	}
	c.mu.Lock()
	m.p = p
	c.mu.Unlock()
	return nil
}

func (c *Cluster) waitReady(ctx context.Context, m *member) error {
	if m.ready == nil {
		return nil
	}
	return proc.WaitFor(ctx, m.spec.Name, c.cfg.StartTimeout, m.ready, m.p)
}

func (c *Cluster) member(name string) (*member, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	m, ok := c.members[name]
	if !ok {
		return nil, fmt.Errorf("%w: %q (have %v)", ErrNoSuchProcess, name, c.names)
	}
	return m, nil
}

// Names lists the processes' names (ROLE-N, also their --instance), of the
// given roles or of all, in start order.
func (c *Cluster) Names(roles ...Role) []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []string
	for _, n := range c.names {
		if len(roles) == 0 || slices.Contains(roles, c.members[n].role) {
			out = append(out, n)
		}
	}
	return out
}

// Process is the running (or last) process of name.
func (c *Cluster) Process(name string) (*proc.Process, error) {
	m, err := c.member(name)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	return m.p, nil
}

// Kill sends SIGKILL to name's process (kill -9) and waits until it is
// gone.
func (c *Cluster) Kill(name string) error {
	p, err := c.Process(name)
	if err != nil {
		return err
	}
	p.Kill()
	return nil
}

// Stop stops name's process gracefully (SIGTERM, then SIGKILL).
func (c *Cluster) Stop(name string) error {
	p, err := c.Process(name)
	if err != nil {
		return err
	}
	p.Stop()
	return nil
}

// ErrRunning is returned by Restart for a process that is still running.
var ErrRunning = errors.New("cluster: the process is still running; kill or stop it first")

// Restart starts name again with the same arguments, environment and
// --instance, and waits until it is ready (an ingress answers /readyz;
// other roles once started).
func (c *Cluster) Restart(ctx context.Context, name string) error {
	m, err := c.member(name)
	if err != nil {
		return err
	}
	if !m.p.Exited() {
		return fmt.Errorf("%w: %s (pid %d)", ErrRunning, name, m.p.PID())
	}
	if err := c.run(m); err != nil {
		return err
	}
	return c.waitReady(ctx, m)
}

// Exited lists the processes that have ended (crashed, or killed and not
// restarted yet), each with its exit status.
func (c *Cluster) Exited() map[string]error {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := map[string]error{}
	for n, m := range c.members {
		if m.p.Exited() {
			out[n] = m.p.Err()
		}
	}
	return out
}

// Tails returns the last n lines of every process's current log.
func (c *Cluster) Tails(n int) string {
	var s string
	for _, name := range c.Names() {
		if p, err := c.Process(name); err == nil {
			s += p.Tail(n)
		}
	}
	return s
}

// Close stops every process by PID (in reverse start order) and the
// issuer.
func (c *Cluster) Close() {
	names := c.Names()
	for i := len(names) - 1; i >= 0; i-- {
		if p, err := c.Process(names[i]); err == nil && p != nil {
			p.Stop()
		}
	}
	if c.issuerSrv != nil {
		_ = c.issuerSrv.Close()
	}
}

// TopicPrefix is the prefix of the cluster's topics.
func (c *Cluster) TopicPrefix() string { return c.cfg.TopicPrefix }

// Config is the cluster's configuration, defaults filled in.
func (c *Cluster) Config() Config { return c.cfg }

// Endpoint is the first ingress's base URL.
func (c *Cluster) Endpoint() string { return c.Endpoints[0] }

// serve runs h on a free loopback port until the cluster closes.
func serve(h http.Handler) (*http.Server, string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, "", err
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	return srv, "http://" + ln.Addr().String(), nil
}
