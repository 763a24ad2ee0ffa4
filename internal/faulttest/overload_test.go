package faulttest

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"

	"github.com/jitgate/jitgate/internal/cluster"
	"github.com/jitgate/jitgate/internal/cluster/clustertest"
)

// Overload run parameters.
const (
	// overloadFactor is how many times the sustainable rate the flood
	// offers (issue 8: 10x).
	overloadFactor = 10
	// overloadMaxInFlight is the ingress's --max-in-flight: small enough
	// that the calls it admits are answered well within the wait at the
	// rates this machine sustains (in flight / rate < wait).
	overloadMaxInFlight = 64
	// calibrationWorkers make closed-loop calls (each waits for its
	// answer) to measure the sustainable rate: the ingress's admission
	// limit three-quarters full, so none is throttled. Calls answered in
	// the first calibrationWarmup (connections, metadata) are not counted.
	calibrationWorkers = overloadMaxInFlight * 3 / 4
	calibrationWarmup  = 2 * time.Second
	calibration        = 4 * time.Second
	// ingressRSSBound is the ingress's peak RSS (VmHWM) allowed through the
	// flood of small calls: docs/reliability.md states it.
	ingressRSSBound = 128 << 20
)

// TestOverload measures the rate the gateway sustains (closed-loop agents)
// and then offers ten times that, open loop, for 30 s (issue 8): the ingress answers beyond its --max-in-flight with the
// protocol's throttling error and Retry-After, every call refused at the
// door and every call published ends once in the log, nothing runs twice,
// the ingress's peak RSS stays under ingressRSSBound, and afterwards agents
// whose SDK retries (the standard retryer) succeed.
func TestOverload(t *testing.T) {
	const flood = 30 * time.Second
	inFlight := strconv.Itoa(overloadMaxInFlight)
	pol, err := filepath.Abs(filepath.Join("testdata", "policy.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	e := clustertest.New(t, clustertest.Options{Wait: wait, LogLevel: "warn", Policy: pol,
		Args: map[cluster.Role][]string{cluster.Ingress: {"--max-in-flight", inFlight, "--max-in-flight-per-principal", inFlight}}})
	setUpstream(t, e)
	run := randomHex(t)
	var agents []agent
	var subjects []string
	for i := range 4 {
		sub := fmt.Sprintf("overload-%d", i)
		subjects = append(subjects, sub)
		agents = append(agents, newAgent(e.Endpoint(), e.Agent(t, sub, agentGroups...), wait))
	}
	// The mix holds a fifth of the calls: an approver decides them as in
	// the fault runs.
	a, stopApprover := startApprover(t, e, subjects)
	defer stopApprover()

	// The sustainable rate: what closed-loop agents get answered, once
	// the stages have joined their groups (a call answered within a
	// second).
	cal := &load{run: run + "ca", agents: agents}
	for ready := time.Now().Add(time.Minute); ; {
		n := cal.seq.Add(1)
		c := &call{kind: getItem, key: keyOf(cal.run, n)}
		cal.do(agents[0], c)
		if c.ok() && c.end.Sub(c.start) < time.Second {
			break
		}
		if time.Now().After(ready) {
			t.Fatalf("no call answered within a second for a minute after the start (last: %v after %s)", c.err, c.end.Sub(c.start))
		}
	}
	calStart := time.Now()
	from, to := calStart.Add(calibrationWarmup), calStart.Add(calibrationWarmup+calibration)
	var wg sync.WaitGroup
	for w := range calibrationWorkers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for time.Now().Before(to) {
				n := cal.seq.Add(1)
				cal.do(agents[w%len(agents)], &call{kind: mix[int(n)%len(mix)], key: keyOf(cal.run, n)})
			}
		}()
	}
	wg.Wait()
	calCalls := cal.wait()
	answered, throttledCal := 0, 0
	for _, c := range calCalls {
		if c.end.Before(from) || c.end.After(to) {
			continue
		}
		switch {
		case c.ok() || c.code == "AccessDenied":
			answered++
		case refusedAtTheDoor(c):
			throttledCal++
		}
	}
	rate := float64(answered) / calibration.Seconds()
	t.Logf("sustainable rate: %.0f calls/s (%d calls of %d closed-loop agents answered in %s, %d throttled; latency %s)", rate, answered,
		calibrationWorkers, calibration, throttledCal, latencies(calCalls))
	if rate < 5 {
		t.Fatalf("the gateway sustained %.1f calls/s: too slow to overload meaningfully", rate)
	}

	// The flood, with probes that read the throttling answers' headers.
	fl := &load{run: run, rate: overloadFactor * rate, agents: agents}
	ctx, stop := context.WithCancel(context.Background())
	floodStart := time.Now()
	fl.start(ctx)
	pr := prober{a: newAgent(e.Endpoint(), e.Agent(t, "overload-probe", "sandbox"), wait)}
	probesDone := make(chan struct{})
	go func() {
		defer close(probesDone)
		pr.run(ctx, 250*time.Millisecond)
	}()
	time.Sleep(flood)
	stop()
	<-probesDone
	floodEnd := time.Now()

	// Right after the flood, agents whose SDKs retry get through.
	for _, k := range []kind{putItem, putObject, getItem} {
		if err := retryingCall(e.Endpoint(), e.Agent(t, "overload-after", "sandbox"), k, fmt.Sprintf("after-%s-%s", run, k)); err != nil {
			t.Errorf("%s after the flood, with SDK retries: %v", k, err)
		}
	}
	calls := fl.wait()
	loadEnd := time.Now()

	var ok, throttled int
	byCode := map[string]int{}
	var problems []string
	for _, c := range calls {
		switch {
		case c.ok():
			ok++
		case c.code == "ThrottlingException" || c.code == "SlowDown":
			throttled++
			// Each protocol's own throttling error: S3's for the S3 calls
			// (PutObject and the held DeleteObjects), DynamoDB's for the rest.
			status, code := http.StatusBadRequest, "ThrottlingException"
			if c.kind == putObject || c.kind.held() {
				status, code = http.StatusServiceUnavailable, "SlowDown"
			}
			if c.status != status || c.code != code {
				problems = append(problems, fmt.Sprintf("%s %s throttled with %d %s, want %d %s", c.kind, c.key, c.status, c.code, status, code))
			}
		}
		byCode[c.code]++
	}
	offered := float64(len(calls)) / floodEnd.Sub(floodStart).Seconds()
	t.Logf("flood: %s at %.0f calls/s offered (%.0f asked); %d calls, %d succeeded (%.0f/s), %d throttled; codes %v; latency %s",
		floodEnd.Sub(floodStart).Round(100*time.Millisecond), offered, fl.rate, len(calls), ok, float64(ok)/floodEnd.Sub(floodStart).Seconds(), throttled, byCode,
		latencies(calls))
	if throttled == 0 {
		t.Errorf("%d calls at %.0f/s and none throttled", len(calls), offered)
	}
	if offered < 2*rate {
		// The load generator shares the machine with the gateway.
		t.Errorf("the load offered %.0f calls/s, not even twice the sustainable %.0f: no overload", offered, rate)
	}
	if ok == 0 {
		t.Errorf("no call succeeded during the flood: the admitted calls must still be served")
	}
	problems = append(problems, pr.check()...)
	if len(problems) > 0 {
		t.Errorf("%d problems with the throttling answers:\n%s", len(problems), strings.Join(problems[:min(len(problems), 20)], "\n"))
	}

	p, err := e.Process("ingress-1")
	if err != nil {
		t.Fatal(err)
	}
	peak, err := peakRSS(p.PID())
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("ingress peak RSS (VmHWM): %d MiB (bound %d MiB)", peak>>20, ingressRSSBound>>20)
	if peak > ingressRSSBound {
		t.Errorf("the ingress's peak RSS was %d MiB; bound %d MiB", peak>>20, ingressRSSBound>>20)
	}
	if exited := e.Exited(); len(exited) > 0 {
		t.Errorf("processes ended by themselves during the flood: %v", exited)
	}
	stopApprover()
	checkRun(t, e, append(calCalls, calls...), nil, a, loadEnd)
}

// prober makes one DynamoDB and one S3 call per tick, SDK retries off, and
// keeps what the throttled answers said (the load's record has no headers).
type prober struct {
	a       agent
	mu      sync.Mutex
	answers []probeAnswer
}

type probeAnswer struct {
	what, code, retryAfter string
	status                 int
}

func (p *prober) run(ctx context.Context, every time.Duration) {
	tick := time.NewTicker(every)
	defer tick.Stop()
	var wg sync.WaitGroup
	defer wg.Wait()
	for n := 0; ; n++ {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		key := fmt.Sprintf("probe-%d", n)
		wg.Add(2)
		go func() {
			defer wg.Done()
			_, err := p.a.ddb.GetItem(context.Background(), &dynamodb.GetItemInput{TableName: aws.String(table),
				Key: map[string]ddbtypes.AttributeValue{"pk": &ddbtypes.AttributeValueMemberS{Value: key}}})
			p.note("GetItem", err)
		}()
		go func() {
			defer wg.Done()
			_, err := p.a.s3.PutObject(context.Background(), &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String(key),
				Body: bytes.NewReader([]byte("x")), ContentLength: aws.Int64(1)})
			p.note("PutObject", err)
		}()
	}
}

func (p *prober) note(what string, err error) {
	a := probeAnswer{what: what}
	var re *smithyhttp.ResponseError
	if errors.As(err, &re) {
		a.status, a.retryAfter = re.Response.StatusCode, re.Response.Header.Get("Retry-After")
	}
	var ae smithy.APIError
	if errors.As(err, &ae) {
		a.code = ae.ErrorCode()
	}
	p.mu.Lock()
	p.answers = append(p.answers, a)
	p.mu.Unlock()
}

// check asserts that probes were throttled, each in its protocol's shape
// with Retry-After.
func (p *prober) check() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	var problems []string
	throttled := 0
	for _, a := range p.answers {
		if a.code != "ThrottlingException" && a.code != "SlowDown" {
			continue
		}
		throttled++
		want := map[string]string{"GetItem": "ThrottlingException", "PutObject": "SlowDown"}[a.what]
		if a.code != want || a.retryAfter != "1" {
			problems = append(problems, fmt.Sprintf("probe %s throttled with %d %s, Retry-After %q; want %s, Retry-After 1", a.what, a.status, a.code, a.retryAfter, want))
		}
	}
	if throttled == 0 {
		problems = append(problems, fmt.Sprintf("none of %d probes during the flood was throttled", len(p.answers)))
	}
	return problems
}

// retryingCall makes one call of kind k with the SDK's standard retryer
// (3 attempts, exponential backoff, throttling errors retried).
func retryingCall(endpoint string, creds aws.Credentials, k kind, key string) error {
	hc := awshttp.NewBuildableClient().WithTimeout(wait + 20*time.Second)
	cfg := aws.Config{
		Region:       "us-east-1",
		Credentials:  aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) { return creds, nil }),
		HTTPClient:   hc,
		Retryer:      func() aws.Retryer { return retry.NewStandard() },
		BaseEndpoint: aws.String(endpoint),
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	item := map[string]ddbtypes.AttributeValue{"pk": &ddbtypes.AttributeValueMemberS{Value: key}}
	var err error
	switch k {
	case putItem:
		_, err = dynamodb.NewFromConfig(cfg).PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(table), Item: item})
	case getItem:
		_, err = dynamodb.NewFromConfig(cfg).GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String(table), Key: item})
	case putObject:
		_, err = s3.NewFromConfig(cfg, func(o *s3.Options) { o.UsePathStyle = true }).PutObject(ctx, &s3.PutObjectInput{
			Bucket: aws.String(bucket), Key: aws.String(key), Body: bytes.NewReader([]byte("x")), ContentLength: aws.Int64(1)})
	default:
		err = fmt.Errorf("no retrying call for %s", k)
	}
	return err
}

// peakRSS is the process's peak resident set (VmHWM), in bytes.
func peakRSS(pid int) (int64, error) {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "VmHWM:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			if err != nil {
				return 0, fmt.Errorf("VmHWM %q: %w", v, err)
			}
			return kb << 10, nil
		}
	}
	return 0, fmt.Errorf("no VmHWM in /proc/%d/status", pid)
}

// latencies describes the answered calls' latencies (p50, p90, max),
// throttled ones apart.
func latencies(calls []*call) string {
	var answered, refused []time.Duration
	for _, c := range calls {
		switch {
		case refusedAtTheDoor(c):
			refused = append(refused, c.end.Sub(c.start))
		case c.ok() || c.code == "AccessDenied":
			answered = append(answered, c.end.Sub(c.start))
		}
	}
	q := func(ds []time.Duration) string {
		if len(ds) == 0 {
			return "none"
		}
		slices.Sort(ds)
		at := func(p float64) time.Duration {
			return ds[min(len(ds)-1, int(p*float64(len(ds))))].Round(time.Millisecond)
		}
		return fmt.Sprintf("p50 %s p90 %s max %s", at(0.5), at(0.9), ds[len(ds)-1].Round(time.Millisecond))
	}
	return "answered " + q(answered) + ", throttled " + q(refused)
}
