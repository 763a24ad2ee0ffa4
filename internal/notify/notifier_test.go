package notify

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

// delivery is one request the test receiver saw.
type delivery struct {
	header http.Header
	body   []byte
}

// receiver is a webhook endpoint on 127.0.0.1 that answers with the
// statuses in answers, in order (the last one repeats), and records every
// request.
type receiver struct {
	mu      sync.Mutex
	got     []delivery
	answers []answer
	onHit   func(n int) // called after recording hit n (1-based)
	srv     *httptest.Server
}

type answer struct {
	status     int
	retryAfter string
}

func newReceiver(t *testing.T, answers ...answer) *receiver {
	t.Helper()
	r := &receiver{answers: answers}
	r.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, _ := io.ReadAll(req.Body)
		r.mu.Lock()
		r.got = append(r.got, delivery{header: req.Header.Clone(), body: body})
		n := len(r.got)
		a := r.answers[min(n, len(r.answers))-1]
		hook := r.onHit
		r.mu.Unlock()
		if hook != nil {
			hook(n)
		}
		if a.retryAfter != "" {
			w.Header().Set("Retry-After", a.retryAfter)
		}
		w.WriteHeader(a.status)
		io.WriteString(w, http.StatusText(a.status))
	}))
	t.Cleanup(r.srv.Close)
	return r
}

func (r *receiver) deliveries() []delivery {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]delivery(nil), r.got...)
}

// newTestNotifier builds a Notifier for r whose waits are recorded, not
// slept, unless realSleep.
func newTestNotifier(t *testing.T, r *receiver, format Format, realSleep bool) (*Notifier, *[]time.Duration) {
	t.Helper()
	n, err := New(Config{URL: r.srv.URL, Secret: testSecret, Format: format, PublicURL: "https://gw.example"}, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	var waits []time.Duration
	if !realSleep {
		n.sleep = func(ctx context.Context, d time.Duration) error {
			waits = append(waits, d)
			return ctx.Err()
		}
	}
	return n, &waits
}

func openedMessage(t *testing.T) Notification {
	t.Helper()
	msg, ok, err := Message(envelope(t, testRequestID, testHold(t)), nil)
	if err != nil || !ok {
		t.Fatalf("Message: ok %v, err %v", ok, err)
	}
	return msg
}

func TestSendSignsAndVerifies(t *testing.T) {
	for _, format := range []Format{FormatJSON, FormatSlack} {
		t.Run(string(format), func(t *testing.T) {
			r := newReceiver(t, answer{status: http.StatusNoContent})
			n, _ := newTestNotifier(t, r, format, false)
			if err := n.Send(context.Background(), openedMessage(t)); err != nil {
				t.Fatalf("Send: %v", err)
			}
			got := r.deliveries()
			if len(got) != 1 {
				t.Fatalf("%d deliveries, want 1", len(got))
			}
			d := got[0]
			ts := d.header.Get(HeaderTimestamp)
			if err := Verify(testSecret, ts, d.body, d.header.Get(HeaderSignature)); err != nil {
				t.Fatalf("receiver cannot verify: %v", err)
			}
			if err := CheckTimestamp(ts, time.Now(), DefaultTolerance); err != nil {
				t.Fatalf("timestamp: %v", err)
			}
			if err := Verify([]byte("not-the-shared-secret!"), ts, d.body, d.header.Get(HeaderSignature)); !errors.Is(err, ErrBadSignature) {
				t.Fatalf("verified with the wrong secret: %v", err)
			}
			if d.header.Get(HeaderEvent) != "hold.opened" || d.header.Get(HeaderDelivery) != "evt-hold.opened" ||
				d.header.Get("Content-Type") != "application/json" {
				t.Fatalf("headers = %v", d.header)
			}
			if strings.Contains(string(d.body), "c2VjcmV0") || strings.Contains(string(d.body), "alice@example.com") {
				t.Fatalf("a parameter value leaked: %s", d.body)
			}
		})
	}
}

func TestSendJSONBody(t *testing.T) {
	r := newReceiver(t, answer{status: http.StatusOK})
	n, _ := newTestNotifier(t, r, FormatJSON, false)
	if err := n.Send(context.Background(), openedMessage(t)); err != nil {
		t.Fatalf("Send: %v", err)
	}
	var body map[string]any
	if err := json.Unmarshal(r.deliveries()[0].body, &body); err != nil {
		t.Fatalf("body is not JSON: %v", err)
	}
	want := map[string]any{
		"event": "hold.opened", "request_id": testRequestID, "time": "2026-05-01T10:00:00Z",
		"agent": "system:serviceaccount:ci:deployer", "call": "s3:PutObject", "region": "eu-west-1",
		"rule": "prod-writes", "approvals": 2.0, "expires": "2026-05-01T10:15:00Z",
		"approve_command": "jitgate approve " + testRequestID, "gateway": "https://gw.example",
	}
	for k, v := range want {
		if body[k] != v {
			t.Errorf("%s = %v, want %v", k, body[k], v)
		}
	}
	if res, _ := body["resources"].(map[string]any); res["Bucket"] != "prod-logs" || len(res) != 1 {
		t.Errorf("resources = %v", body["resources"])
	}
	for _, absent := range []string{"by", "comment", "approved_by", "grant_id"} {
		if _, ok := body[absent]; ok {
			t.Errorf("empty field %q present", absent)
		}
	}
}

func TestSendSlackBody(t *testing.T) {
	r := newReceiver(t, answer{status: http.StatusOK})
	n, _ := newTestNotifier(t, r, FormatSlack, false)
	msg := openedMessage(t)
	msg.Agent = "<!channel> evil"
	msg.Summary = summary(msg)
	if err := n.Send(context.Background(), msg); err != nil {
		t.Fatalf("Send: %v", err)
	}
	raw := r.deliveries()[0].body
	var body slackMessage
	dec := json.NewDecoder(strings.NewReader(string(raw)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&body); err != nil {
		t.Fatalf("slack body: %v\n%s", err, raw)
	}
	if !strings.Contains(body.Text, "Approval needed: s3:PutObject") {
		t.Errorf("text = %q", body.Text)
	}
	if strings.Contains(string(raw), "<!channel>") || !strings.Contains(body.Text, "&lt;!channel&gt;") {
		t.Errorf("mention not escaped: %s", raw)
	}
	if len(body.Blocks) < 3 || body.Blocks[0].Type != "header" || body.Blocks[0].Text.Type != "plain_text" {
		t.Fatalf("blocks = %+v", body.Blocks)
	}
	for _, b := range body.Blocks {
		if b.Type == "section" && b.Text == nil && len(b.Fields) == 0 {
			t.Errorf("empty section block")
		}
		if len(b.Fields) > slackMaxFields {
			t.Errorf("%d fields, Slack allows %d", len(b.Fields), slackMaxFields)
		}
	}
	for _, s := range []string{"jitgate approve " + testRequestID, "jitgate deny " + testRequestID, "prod-writes", "Bucket=prod-logs"} {
		if !strings.Contains(string(raw), s) {
			t.Errorf("slack body lacks %q", s)
		}
	}
}

func TestSendRetries(t *testing.T) {
	tests := []struct {
		name     string
		answers  []answer
		attempts int
		ok       bool
		status   int // final StatusError code when !ok
		minWait  time.Duration
	}{
		{"500 then success", []answer{{status: 500}, {status: 500}, {status: 200}}, 3, true, 0, 0},
		{"429 then success", []answer{{status: 429}, {status: 202}}, 2, true, 0, 0},
		{"400 is final", []answer{{status: 400}, {status: 200}}, 1, false, 400, 0},
		{"404 is final", []answer{{status: 404}, {status: 200}}, 1, false, 404, 0},
		{"redirect is final", []answer{{status: 302}, {status: 200}}, 1, false, 302, 0},
		{"500 forever gives up", []answer{{status: 503}}, DefaultMaxAttempts, false, 503, 0},
		{"Retry-After seconds", []answer{{status: 503, retryAfter: "7"}, {status: 200}}, 2, true, 0, 7 * time.Second},
		{"Retry-After date", []answer{{status: 429, retryAfter: time.Now().Add(time.Hour).UTC().Format(http.TimeFormat)}, {status: 200}}, 2, true, 0, maxRetryAfter - time.Second},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := newReceiver(t, tc.answers...)
			n, waits := newTestNotifier(t, r, FormatJSON, false)
			err := n.Send(context.Background(), openedMessage(t))
			got := r.deliveries()
			if len(got) != tc.attempts {
				t.Fatalf("%d attempts, want %d (err %v)", len(got), tc.attempts, err)
			}
			if tc.ok != (err == nil) {
				t.Fatalf("Send = %v, want ok %v", err, tc.ok)
			}
			if !tc.ok {
				var de *DeliveryError
				var se *StatusError
				if !errors.As(err, &de) || de.Attempts != tc.attempts || !errors.As(err, &se) || se.Code != tc.status {
					t.Fatalf("Send = %#v, want DeliveryError after %d attempts with status %d", err, tc.attempts, tc.status)
				}
			}
			if len(*waits) != tc.attempts-1 {
				t.Fatalf("%d waits for %d attempts", len(*waits), tc.attempts)
			}
			for i, w := range *waits {
				if w < tc.minWait || w > max(maxDelay, maxRetryAfter) {
					t.Errorf("wait %d = %v, want at least %v", i, w, tc.minWait)
				}
			}
			// Every attempt: same delivery id, own valid signature.
			for i, d := range got {
				if d.header.Get(HeaderDelivery) != got[0].header.Get(HeaderDelivery) || d.header.Get(HeaderDelivery) == "" {
					t.Errorf("attempt %d delivery id %q, first %q", i, d.header.Get(HeaderDelivery), got[0].header.Get(HeaderDelivery))
				}
				if err := Verify(testSecret, d.header.Get(HeaderTimestamp), d.body, d.header.Get(HeaderSignature)); err != nil {
					t.Errorf("attempt %d: %v", i, err)
				}
			}
		})
	}
}

func TestSendHonoursRetryAfterForReal(t *testing.T) {
	// Real sleeping: the Retry-After of 1s is waited out, then the retry
	// succeeds. No timing is asserted; the recorded wait is checked above.
	r := newReceiver(t, answer{status: 503, retryAfter: "1"}, answer{status: 200})
	n, _ := newTestNotifier(t, r, FormatJSON, true)
	if err := n.Send(context.Background(), openedMessage(t)); err != nil {
		t.Fatalf("Send: %v", err)
	}
	if got := len(r.deliveries()); got != 2 {
		t.Fatalf("%d attempts, want 2", got)
	}
}

func TestSendGivesUpWhenWaitOutlastsDeadline(t *testing.T) {
	r := newReceiver(t, answer{status: 503, retryAfter: "120"}, answer{status: 200})
	n, waits := newTestNotifier(t, r, FormatJSON, false)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	err := n.Send(ctx, openedMessage(t))
	var se *StatusError
	if !errors.As(err, &se) || se.Code != 503 {
		t.Fatalf("Send = %v, want the 503", err)
	}
	if len(r.deliveries()) != 1 || len(*waits) != 0 {
		t.Fatalf("%d attempts, %d waits; want 1 and 0", len(r.deliveries()), len(*waits))
	}
}

func TestSendDeliveryIDWhenMessageHasNone(t *testing.T) {
	r := newReceiver(t, answer{status: 500}, answer{status: 200})
	n, _ := newTestNotifier(t, r, FormatJSON, false)
	msg := openedMessage(t)
	msg.ID = ""
	if err := n.Send(context.Background(), msg); err != nil {
		t.Fatalf("Send: %v", err)
	}
	got := r.deliveries()
	id := got[0].header.Get(HeaderDelivery)
	if id == "" || got[1].header.Get(HeaderDelivery) != id {
		t.Fatalf("delivery ids %q, %q", id, got[1].header.Get(HeaderDelivery))
	}
}

func TestSendContextCancelStopsRetries(t *testing.T) {
	r := newReceiver(t, answer{status: 500})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	r.onHit = func(int) { cancel() }
	n, _ := newTestNotifier(t, r, FormatJSON, true)
	err := n.Send(ctx, openedMessage(t))
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("Send = %v, want context.Canceled", err)
	}
	var de *DeliveryError
	if !errors.As(err, &de) || de.Attempts != 1 {
		t.Fatalf("Send = %#v, want a DeliveryError after 1 attempt", err)
	}
	if got := len(r.deliveries()); got != 1 {
		t.Fatalf("%d attempts after cancel, want 1", got)
	}
}

func TestSendCancelledBeforeStart(t *testing.T) {
	r := newReceiver(t, answer{status: 200})
	n, _ := newTestNotifier(t, r, FormatJSON, false)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := n.Send(ctx, openedMessage(t)); !errors.Is(err, context.Canceled) {
		t.Fatalf("Send = %v, want context.Canceled", err)
	}
	if got := len(r.deliveries()); got != 0 {
		t.Fatalf("%d attempts, want 0", got)
	}
}

func TestSendNetworkErrorRetried(t *testing.T) {
	r := newReceiver(t, answer{status: 200})
	hookURL := r.srv.URL + "/services/T000/B000/tokenXYZ"
	r.srv.Close() // nothing listens any more
	n, err := New(Config{URL: hookURL, Secret: testSecret, MaxAttempts: 3}, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	tries := 0
	n.sleep = func(context.Context, time.Duration) error { tries++; return nil }
	err = n.Send(context.Background(), openedMessage(t))
	var de *DeliveryError
	if !errors.As(err, &de) || de.Attempts != 3 || tries != 2 {
		t.Fatalf("Send = %v after %d waits; want 3 attempts", err, tries)
	}
	var se *StatusError
	if errors.As(err, &se) {
		t.Fatalf("network failure reported as status %d", se.Code)
	}
	if strings.Contains(err.Error(), "tokenXYZ") {
		t.Fatalf("error reveals the webhook URL's path: %v", err)
	}
}

func TestNewValidates(t *testing.T) {
	tests := []struct {
		name string
		cfg  Config
		ok   bool
	}{
		{"https", Config{URL: "https://hooks.example/x", Secret: testSecret}, true},
		{"loopback http", Config{URL: "http://127.0.0.1:8080/hook", Secret: testSecret}, true},
		{"localhost http", Config{URL: "http://localhost/hook", Secret: testSecret, Format: FormatSlack}, true},
		{"no URL", Config{Secret: testSecret}, false},
		{"remote http", Config{URL: "http://hooks.example/x", Secret: testSecret}, false},
		{"relative", Config{URL: "/hook", Secret: testSecret}, false},
		{"credentials in URL", Config{URL: "https://user:pw@hooks.example/", Secret: testSecret}, false},
		{"other scheme", Config{URL: "ftp://hooks.example/", Secret: testSecret}, false},
		{"no secret", Config{URL: "https://hooks.example/"}, false},
		{"short secret", Config{URL: "https://hooks.example/", Secret: []byte("short")}, false},
		{"bad format", Config{URL: "https://hooks.example/", Secret: testSecret, Format: "xml"}, false},
		{"negative timeout", Config{URL: "https://hooks.example/", Secret: testSecret, Timeout: -1}, false},
		{"bad public URL", Config{URL: "https://hooks.example/", Secret: testSecret, PublicURL: "gw"}, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			n, err := New(tc.cfg, nil, nil)
			if tc.ok {
				if err != nil {
					t.Fatalf("New: %v", err)
				}
				if n.cfg.Timeout != DefaultTimeout || n.cfg.MaxAttempts != DefaultMaxAttempts || n.cfg.Format == "" {
					t.Fatalf("defaults not applied: %+v", n.cfg)
				}
				return
			}
			if !errors.Is(err, ErrInvalidConfig) {
				t.Fatalf("New = %v, want ErrInvalidConfig", err)
			}
			if strings.Contains(err.Error(), "pw") || strings.Contains(err.Error(), string(testSecret)) {
				t.Fatalf("error leaks a credential: %v", err)
			}
		})
	}
}

func TestBackoff(t *testing.T) {
	prevCap := time.Duration(0)
	for attempt := 1; attempt <= 12; attempt++ {
		capd := min(baseDelay<<(attempt-1), maxDelay)
		for range 20 {
			d := backoff(attempt)
			if d < capd/2 || d > capd {
				t.Fatalf("backoff(%d) = %v, want in [%v, %v]", attempt, d, capd/2, capd)
			}
		}
		if capd < prevCap {
			t.Fatalf("backoff cap shrank at attempt %d", attempt)
		}
		prevCap = capd
	}
}

func TestRetryAfter(t *testing.T) {
	now := time.Date(2026, 5, 1, 10, 0, 0, 0, time.UTC)
	tests := []struct {
		in   string
		want time.Duration
	}{
		{"", 0},
		{"3", 3 * time.Second},
		{" 3 ", 3 * time.Second},
		{"0", 0},
		{"-5", 0},
		{"999999999999", maxRetryAfter},
		{now.Add(90 * time.Second).Format(http.TimeFormat), 90 * time.Second},
		{now.Add(-time.Hour).Format(http.TimeFormat), 0},
		{"soon", 0},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			if got := retryAfter(tc.in, now); got != tc.want {
				t.Fatalf("retryAfter(%q) = %v, want %v", tc.in, got, tc.want)
			}
		})
	}
}
