package notify

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/jitgate/jitgate/internal/ids"
)

// Notifier delivers notifications to one webhook. It is safe for concurrent
// use.
type Notifier struct {
	cfg    Config
	client *http.Client
	log    *slog.Logger
	now    func() time.Time
	// sleep waits d or until ctx ends; tests replace it to observe waits.
	sleep func(ctx context.Context, d time.Duration) error
}

// New returns a Notifier for cfg. client nil means a client that does not
// follow redirects (a redirect is a failed delivery, never a silent change
// of endpoint); log nil discards logs.
func New(cfg Config, client *http.Client, log *slog.Logger) (*Notifier, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg.Secret = bytes.Clone(cfg.Secret)
	if client == nil {
		client = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Notifier{cfg: cfg, client: client, log: log, now: time.Now, sleep: sleepCtx}, nil
}

// Send delivers msg, retrying network errors, 429 and 5xx with backoff up
// to Config.MaxAttempts; any other answer is final. ctx bounds the whole
// delivery, retries included. Every attempt carries the same
// X-Jitgate-Delivery (msg.ID, or a fresh id when msg.ID is empty) and a fresh
// signed timestamp. The error is a *DeliveryError.
func (n *Notifier) Send(ctx context.Context, msg Notification) error {
	if msg.ID == "" {
		msg.ID = ids.New()
	}
	if msg.Gateway == "" {
		msg.Gateway = n.cfg.PublicURL
	}
	body, err := n.encode(msg)
	if err != nil {
		return &DeliveryError{Delivery: msg.ID, Event: msg.Event, Err: err}
	}
	var last error
	for attempt := 1; ; attempt++ {
		wait, err := n.attempt(ctx, msg, body)
		if err == nil {
			n.log.DebugContext(ctx, "notification delivered", "event", msg.Event, "delivery", msg.ID, "request_id", msg.RequestID, "attempts", attempt)
			return nil
		}
		last = err
		if ctx.Err() != nil || !retryable(err) || attempt >= n.cfg.MaxAttempts {
			return &DeliveryError{Delivery: msg.ID, Event: msg.Event, Attempts: attempt, Err: last}
		}
		d := max(backoff(attempt), min(wait, maxRetryAfter))
		if dl, ok := ctx.Deadline(); ok && n.now().Add(d).After(dl) {
			// Waiting would outlast the context: give up now, not later.
			return &DeliveryError{Delivery: msg.ID, Event: msg.Event, Attempts: attempt, Err: last}
		}
		n.log.InfoContext(ctx, "notification attempt failed, retrying", "event", msg.Event, "delivery", msg.ID, "attempt", attempt, "wait", d, "err", err)
		if err := n.sleep(ctx, d); err != nil {
			return &DeliveryError{Delivery: msg.ID, Event: msg.Event, Attempts: attempt, Err: fmt.Errorf("%w (last attempt: %w)", err, last)}
		}
	}
}

// encode renders msg in the configured format.
func (n *Notifier) encode(msg Notification) ([]byte, error) {
	if n.cfg.Format == FormatSlack {
		return slackBody(msg)
	}
	body, err := json.Marshal(msg)
	if err != nil {
		return nil, fmt.Errorf("notify: encode notification: %w", err)
	}
	return body, nil
}

// attempt makes one POST. It returns the wait a Retry-After asked for (0 if
// none) with the attempt's error.
func (n *Notifier) attempt(ctx context.Context, msg Notification, body []byte) (time.Duration, error) {
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	actx, cancel := context.WithTimeout(ctx, n.cfg.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(actx, http.MethodPost, n.cfg.URL, bytes.NewReader(body))
	if err != nil {
		return 0, fmt.Errorf("notify: build request: %w", err)
	}
	ts := strconv.FormatInt(n.now().Unix(), 10)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "jitgate-notify/1")
	req.Header.Set(HeaderEvent, msg.Event)
	req.Header.Set(HeaderDelivery, msg.ID)
	req.Header.Set(HeaderTimestamp, ts)
	req.Header.Set(HeaderSignature, Sign(n.cfg.Secret, ts, body))

	resp, err := n.client.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return 0, ctx.Err()
		}
		// The URL's path may itself be a secret (Slack webhook URLs are):
		// keep only the scheme and host in the error.
		if ue, ok := errors.AsType[*url.Error](err); ok {
			ue.URL = redactURL(n.cfg.URL)
		}
		return 0, fmt.Errorf("notify: post: %w", err)
	}
	defer resp.Body.Close()
	snippet, _ := io.ReadAll(io.LimitReader(resp.Body, 256))
	io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10)) // let the connection be reused
	if resp.StatusCode >= 200 && resp.StatusCode < 300 {
		return 0, nil
	}
	serr := &StatusError{Code: resp.StatusCode, Body: oneLine(string(snippet), 256)}
	return retryAfter(resp.Header.Get("Retry-After"), n.now()), serr
}

// redactURL keeps the scheme and host of a webhook URL, hiding its path
// and query, which often carry a token.
func redactURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "webhook"
	}
	return u.Scheme + "://" + u.Host + "/…"
}

// retryable reports whether a failed attempt is worth repeating: network
// errors (per-attempt timeouts included), 429 and 5xx. Send checks the
// caller's context separately.
func retryable(err error) bool {
	if se, ok := errors.AsType[*StatusError](err); ok {
		return se.Retryable()
	}
	return true
}
