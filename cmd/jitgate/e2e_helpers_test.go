package main

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jitgate/jitgate/internal/cluster/clustertest"
	process "github.com/jitgate/jitgate/internal/proc"
	"github.com/jitgate/jitgate/internal/testenv"
)

// jitgateBin is the jitgate binary, built once per test run.
func jitgateBin(t *testing.T) string {
	t.Helper()
	return clustertest.Binary(t)
}

func TestMain(m *testing.M) { os.Exit(clustertest.Main(m)) }

// proc is a jitgate process started by a test and stopped by PID.
type proc struct {
	*process.Process
}

// output is everything the process has written so far.
func (p *proc) output() string {
	b, _ := os.ReadFile(p.Log())
	return string(b)
}

// startJitgate runs the binary with args and env; cleanup stops it by PID
// (SIGTERM, then SIGKILL) and waits.
func startJitgate(t *testing.T, name string, env []string, args ...string) *proc {
	t.Helper()
	return startJitgateFor(t, t, name, env, args...)
}

// startJitgateFor is startJitgate with the process stopped when owner ends
// (a subtest that starts a process its siblings use).
func startJitgateFor(t *testing.T, owner *testing.T, name string, env []string, args ...string) *proc {
	t.Helper()
	p, err := process.Start(process.Spec{Name: name, Path: jitgateBin(t), Args: args, Env: env,
		Log: filepath.Join(owner.TempDir(), "jitgate.log")})
	if err != nil {
		t.Fatal(err)
	}
	owner.Cleanup(func() {
		p.Stop()
		if owner.Failed() {
			owner.Logf("%s", p.Tail(60))
		}
	})
	return &proc{p}
}

func lastLines(s string, n int) string {
	lines := strings.Split(s, "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// waitReady polls url until it answers 200.
func waitReady(t *testing.T, p *proc, url string) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case <-p.Done():
			t.Fatalf("process exited before %s was ready:\n%s", url, lastLines(p.output(), 40))
		default:
		}
		resp, err := http.Get(url)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("%s not ready after 60s:\n%s", url, lastLines(p.output(), 40))
}

// run runs a command with env and returns stdout, stderr and whether it
// succeeded.
func run(t *testing.T, env []string, name string, args ...string) (stdout, stderr string, ok bool) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Env = append(cleanAWSEnv(), env...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	return out.String(), errb.String(), err == nil
}

// cleanAWSEnv is the test process's environment without anything that
// would point an AWS client elsewhere.
func cleanAWSEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		if strings.HasPrefix(kv, "AWS_") {
			continue
		}
		env = append(env, kv)
	}
	return append(env, "AWS_CONFIG_FILE=/dev/null", "AWS_SHARED_CREDENTIALS_FILE=/dev/null", "AWS_EC2_METADATA_DISABLED=true")
}

// parseExports turns `export A="b" C="d"` lines into KEY=value pairs.
func parseExports(t *testing.T, script string) []string {
	t.Helper()
	var env []string
	for _, line := range strings.Split(script, "\n") {
		rest, ok := strings.CutPrefix(line, "export ")
		if !ok {
			continue
		}
		for rest != "" {
			k, v, found := strings.Cut(rest, "=\"")
			if !found {
				t.Fatalf("unexpected export line %q", line)
			}
			end := strings.Index(v, "\"")
			env = append(env, k+"="+v[:end])
			rest = strings.TrimSpace(v[end+1:])
		}
	}
	return env
}

func envValue(env []string, key string) string {
	for _, kv := range env {
		if k, v, _ := strings.Cut(kv, "="); k == key {
			return v
		}
	}
	return ""
}

// repoFile is a path inside the repository.
func repoFile(t *testing.T, rel string) string {
	return filepath.Join(testenv.RepoRoot(t), rel)
}

func awsHTTPClientWithCA(t *testing.T, caPEM []byte) *http.Client {
	t.Helper()
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(caPEM) {
		t.Fatal("AWS_CA_BUNDLE holds no certificate")
	}
	return &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
}
