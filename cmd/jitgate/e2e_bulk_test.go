package main

import (
	"bufio"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/jitgate/jitgate/internal/testenv"
)

// bulkBytes is the size of the object TestBulkBodiesBoundedMemory moves
// each way: 256 MiB in `make test`, JITGATE_BULK_BYTES (1 GiB in
// `make soak`) otherwise.
func bulkBytes(t *testing.T) int64 {
	v := os.Getenv("JITGATE_BULK_BYTES")
	if v == "" {
		return 256 << 20
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n <= 0 {
		t.Fatalf("JITGATE_BULK_BYTES=%q is not a byte count", v)
	}
	return n
}

// maxGatewayRSS is the peak resident memory the gateway may reach while
// moving a body of any size.
const maxGatewayRSS = 256 << 20

// TestBulkBodiesBoundedMemory pushes a large S3 object through `jitgate
// dev` (every role in one process, on its embedded broker) and downloads
// it back, with aws-sdk-go-v2 streaming from a generator and into a hash
// (no copy of the body in memory on either side), against a fast local
// upstream. The gateway's peak RSS (VmHWM) must stay under 256 MiB
// whatever the size. It also moves the same bytes through a plain
// reverse proxy in front of the same upstream and reports both rates:
// measured, not asserted (the machine is shared).
func TestBulkBodiesBoundedMemory(t *testing.T) {
	if testing.Short() {
		t.Skip("moves hundreds of MiB")
	}
	size := bulkBytes(t)
	up := newBulkUpstream()
	upstream := httptest.NewServer(up)
	defer upstream.Close()
	proxyURL, _ := url.Parse(upstream.URL)
	proxy := httptest.NewServer(httputil.NewSingleHostReverseProxy(proxyURL))
	defer proxy.Close()

	dir := t.TempDir()
	listen := fmt.Sprintf("127.0.0.1:%d", testenv.FreePort(t))
	gatewayCreds := []string{"AWS_ACCESS_KEY_ID=AKIAJITGATEBULKTEST", "AWS_SECRET_ACCESS_KEY=bulk-test-secret", "AWS_REGION=us-east-1"}
	p := startJitgate(t, "jitgate dev", gatewayCreds, "dev", "--data-dir", dir, "--listen", listen, "--tls-listen", "",
		"--policy", repoFile(t, "policies/dev.yaml"), "--upstream", upstream.URL, "--wait", "120s")
	waitReady(t, p, "http://"+listen+"/readyz")
	d := &devGateway{dir: dir, endpoint: "http://" + listen, proc: p}
	env := d.agentEnv(t, "bot-bulk", "sandbox", false)
	gw := s3.NewFromConfig(aws.Config{
		Region:       envValue(env, "AWS_REGION"),
		BaseEndpoint: aws.String(d.endpoint),
		Credentials: credentials.NewStaticCredentialsProvider(envValue(env, "AWS_ACCESS_KEY_ID"),
			envValue(env, "AWS_SECRET_ACCESS_KEY"), envValue(env, "AWS_SESSION_TOKEN")),
	}, func(o *s3.Options) { o.UsePathStyle = true })
	direct := s3.NewFromConfig(aws.Config{Region: "us-east-1", BaseEndpoint: aws.String(proxy.URL),
		Credentials: credentials.NewStaticCredentialsProvider("AKIAPROXY", "proxy-secret", "")},
		func(o *s3.Options) { o.UsePathStyle = true })

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	rates := map[string]float64{}
	for _, target := range []struct {
		name string
		c    *s3.Client
	}{{"reverse proxy", direct}, {"jitgate dev", gw}} {
		key := strings.ReplaceAll(target.name, " ", "-") + ".bin"
		start := time.Now()
		if _, err := target.c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("demo"), Key: aws.String(key),
			Body: newGenerated(size), ContentLength: aws.Int64(size)}); err != nil {
			t.Fatalf("%s: PutObject of %d bytes: %v", target.name, size, err)
		}
		rates[target.name+" up"] = mbps(size, time.Since(start))
		if got, want := up.received(key), generatedDigest(size); got != want {
			t.Fatalf("%s: the upstream received %s, want %s", target.name, got, want)
		}
		start = time.Now()
		out, err := target.c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("demo"), Key: aws.String(key)})
		if err != nil {
			t.Fatalf("%s: GetObject: %v", target.name, err)
		}
		sum := sha256.New()
		n, err := io.Copy(sum, out.Body)
		out.Body.Close()
		if err != nil || n != size || fmt.Sprintf("%x", sum.Sum(nil)) != generatedDigest(size) {
			t.Fatalf("%s: downloaded %d of %d bytes (%v), digest ok %v", target.name, n, size, err,
				fmt.Sprintf("%x", sum.Sum(nil)) == generatedDigest(size))
		}
		rates[target.name+" down"] = mbps(size, time.Since(start))
	}
	peak := vmHWM(t, p.PID())
	t.Logf("%d MiB each way; gateway peak RSS %d MiB", size>>20, peak>>20)
	for _, dir := range []string{"up", "down"} {
		proxyRate, gwRate := rates["reverse proxy "+dir], rates["jitgate dev "+dir]
		t.Logf("%-4s reverse proxy %7.1f MB/s, jitgate dev %7.1f MB/s (%.0f%%)", dir, proxyRate, gwRate, 100*gwRate/proxyRate)
	}
	if peak >= maxGatewayRSS {
		t.Fatalf("gateway peak RSS %d MiB, want under %d MiB for a %d MiB body", peak>>20, maxGatewayRSS>>20, size>>20)
	}
}

func mbps(n int64, d time.Duration) float64 { return float64(n) / 1e6 / d.Seconds() }

// vmHWM reads a process's peak resident set size.
func vmHWM(t *testing.T, pid int) int64 {
	t.Helper()
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "VmHWM:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			if err != nil {
				t.Fatal(err)
			}
			return kb << 10
		}
	}
	t.Fatal("no VmHWM in /proc/PID/status")
	return 0
}

// generated is a deterministic body of any size made on the fly (a
// repeating pattern a hash cannot shortcut), seekable so that the SDK
// can hash it before sending it over plain HTTP.
type generated struct {
	size, off int64
}

func newGenerated(size int64) *generated { return &generated{size: size} }

// generatedBlock is the pattern: 64 KiB of bytes that do not repeat within.
var generatedBlock = func() []byte {
	b := make([]byte, 64<<10)
	x := uint32(2463534242)
	for i := range b {
		x ^= x << 13
		x ^= x >> 17
		x ^= x << 5
		b[i] = byte(x)
	}
	return b
}()

func (g *generated) Read(p []byte) (int, error) {
	if g.off >= g.size {
		return 0, io.EOF
	}
	p = p[:min(int64(len(p)), g.size-g.off)]
	n := 0
	for n < len(p) {
		i := (g.off + int64(n)) % int64(len(generatedBlock))
		n += copy(p[n:], generatedBlock[i:])
	}
	g.off += int64(n)
	return n, nil
}

func (g *generated) Seek(offset int64, whence int) (int64, error) {
	switch whence {
	case io.SeekStart:
	case io.SeekCurrent:
		offset += g.off
	case io.SeekEnd:
		offset += g.size
	}
	if offset < 0 {
		return 0, errors.New("seek before start")
	}
	g.off = offset
	return offset, nil
}

var digests sync.Map // size -> hex SHA-256 of the generated body

func generatedDigest(size int64) string {
	if d, ok := digests.Load(size); ok {
		return d.(string)
	}
	sum := sha256.New()
	io.Copy(sum, newGenerated(size))
	d := fmt.Sprintf("%x", sum.Sum(nil))
	digests.Store(size, d)
	return d
}

// bulkUpstream is a fast stand-in for S3: PUT hashes and discards the
// body, GET streams the generated body of the size last put under the
// key. It checks no signature (the hostile tests do).
type bulkUpstream struct {
	mu   sync.Mutex
	objs map[string]struct {
		size   int64
		digest string
	}
}

func newBulkUpstream() *bulkUpstream {
	return &bulkUpstream{objs: map[string]struct {
		size   int64
		digest string
	}{}}
}

func (u *bulkUpstream) received(key string) string {
	u.mu.Lock()
	defer u.mu.Unlock()
	return u.objs[key].digest
}

func (u *bulkUpstream) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	key := r.URL.Path[strings.LastIndex(r.URL.Path, "/")+1:]
	switch r.Method {
	case http.MethodPut:
		sum := sha256.New()
		n, err := io.Copy(sum, r.Body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		u.mu.Lock()
		u.objs[key] = struct {
			size   int64
			digest string
		}{n, fmt.Sprintf("%x", sum.Sum(nil))}
		u.mu.Unlock()
		w.Header().Set("ETag", `"bulk"`)
		w.WriteHeader(http.StatusOK)
	case http.MethodGet:
		u.mu.Lock()
		o, ok := u.objs[key]
		u.mu.Unlock()
		if !ok {
			w.WriteHeader(http.StatusNotFound)
			return
		}
		w.Header().Set("Content-Type", "application/octet-stream")
		w.Header().Set("Content-Length", strconv.FormatInt(o.size, 10))
		io.Copy(w, newGenerated(o.size))
	default:
		w.WriteHeader(http.StatusMethodNotAllowed)
	}
}
