package policy

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"
)

const (
	policyV1  = "version: 1\nrules:\n  - {name: v1, when: 'true', then: allow}\n"
	policyV2  = "version: 1\nrules:\n  - {name: v2, when: 'true', then: deny}\n"
	policyBad = "version: 1\nrules:\n  - {name: broken, when: 'principal.nope', then: allow}\n"
)

// writePolicy writes src and gives the file a distinct modification time so
// a stat-based poll sees the change whatever the file system's resolution.
func writePolicy(t *testing.T, path, src string, gen int) {
	t.Helper()
	if err := os.WriteFile(path, []byte(src), 0o600); err != nil {
		t.Fatal(err)
	}
	mt := time.Date(2030, 1, 1, 0, 0, gen, 0, time.UTC)
	if err := os.Chtimes(path, mt, mt); err != nil {
		t.Fatal(err)
	}
}

func firstRule(p *Policy) string { return p.rules[0].Name }

func TestWatcherReload(t *testing.T) {
	path := filepath.Join(t.TempDir(), "policy.yaml")
	writePolicy(t, path, policyV1, 1)
	var changes []string
	w, err := NewWatcher(path, time.Hour, func(p *Policy) { changes = append(changes, firstRule(p)) }, nil)
	if err != nil {
		t.Fatal(err)
	}
	if got := firstRule(w.Current()); got != "v1" {
		t.Fatalf("initial policy %q", got)
	}

	writePolicy(t, path, policyBad, 2)
	err = w.Reload()
	var re *RuleError
	if !errors.As(err, &re) || re.Rule != "broken" {
		t.Fatalf("Reload of a bad file = %v, want a *RuleError for rule broken", err)
	}
	if got := firstRule(w.Current()); got != "v1" {
		t.Errorf("bad file replaced the policy: now %q", got)
	}

	writePolicy(t, path, policyV2, 3)
	if err := w.Reload(); err != nil {
		t.Fatal(err)
	}
	if got := firstRule(w.Current()); got != "v2" {
		t.Errorf("good file not picked up: now %q", got)
	}
	if err := w.Reload(); err != nil { // unchanged: no second notification
		t.Fatal(err)
	}
	if len(changes) != 1 || changes[0] != "v2" {
		t.Errorf("onChange calls = %v, want [v2]", changes)
	}

	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
	if err := w.Reload(); err == nil {
		t.Error("Reload of a removed file succeeded")
	}
	if got := firstRule(w.Current()); got != "v2" {
		t.Errorf("removed file replaced the policy: now %q", got)
	}
}

func TestNewWatcherBadFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "policy.yaml")
	writePolicy(t, path, policyBad, 1)
	if _, err := NewWatcher(path, time.Second, nil, nil); !errors.Is(err, ErrInvalidPolicy) {
		t.Errorf("NewWatcher on a bad file = %v, want ErrInvalidPolicy", err)
	}
}

func TestWatcherRun(t *testing.T) {
	path := filepath.Join(t.TempDir(), "policy.yaml")
	writePolicy(t, path, policyV1, 1)
	changed := make(chan *Policy, 10)
	failed := make(chan error, 10)
	w, err := NewWatcher(path, time.Millisecond, func(p *Policy) { changed <- p }, func(err error) { failed <- err })
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { w.Run(ctx); close(done) }()
	defer func() { cancel(); <-done }()

	const deadline = 10 * time.Second // failure bound only, not a timing assertion
	writePolicy(t, path, policyBad, 2)
	select {
	case err := <-failed:
		if !errors.Is(err, ErrInvalidPolicy) {
			t.Errorf("onError got %v", err)
		}
	case p := <-changed:
		t.Fatalf("bad file reported as a change to %q", firstRule(p))
	case <-time.After(deadline):
		t.Fatal("no onError for a bad file")
	}
	if got := firstRule(w.Current()); got != "v1" {
		t.Errorf("bad file replaced the policy: now %q", got)
	}
	// The same bad content is not reported again by polling.
	if err := w.reload(false); err != nil {
		t.Errorf("second poll of the same bad file reported %v", err)
	}

	writePolicy(t, path, policyV2, 3)
	select {
	case p := <-changed:
		if firstRule(p) != "v2" || w.Current() != p {
			t.Errorf("onChange got %q, Current %q", firstRule(p), firstRule(w.Current()))
		}
	case <-time.After(deadline):
		t.Fatal("good file not picked up")
	}
}
