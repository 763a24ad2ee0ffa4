package policy

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"sync"
	"sync/atomic"
	"time"
)

// DefaultWatchInterval is the polling interval NewWatcher uses when given
// zero or less.
const DefaultWatchInterval = 5 * time.Second

// Watcher holds the current policy of one file and replaces it when the
// file changes. A file that fails to read or parse keeps the previous
// policy. It is safe for concurrent use.
type Watcher struct {
	path     string
	interval time.Duration
	onChange func(*Policy)
	onError  func(error)

	current atomic.Pointer[Policy]

	mu       sync.Mutex // serializes reloads and guards the fields below
	lastStat fileStamp  // stat of the file when last read
	badSum   string     // hash of the last invalid content, reported once by Run
	badStat  string     // last stat error, reported once by Run
}

type fileStamp struct {
	size    int64
	modTime time.Time
}

// NewWatcher loads the policy at path and returns a watcher for it; the
// initial load must succeed (its error is returned, onChange is not
// called). Later, onChange is called with each new policy, and onError
// with each failure Run sees (once per distinct bad file content); either
// may be nil. interval is Run's polling period (DefaultWatchInterval when
// zero or less).
func NewWatcher(path string, interval time.Duration, onChange func(*Policy), onError func(error)) (*Watcher, error) {
	if interval <= 0 {
		interval = DefaultWatchInterval
	}
	if onChange == nil {
		onChange = func(*Policy) {}
	}
	if onError == nil {
		onError = func(error) {}
	}
	w := &Watcher{path: path, interval: interval, onChange: onChange, onError: onError}
	if err := w.reload(true); err != nil {
		return nil, err
	}
	return w, nil
}

// Current returns the policy in force.
func (w *Watcher) Current() *Policy { return w.current.Load() }

// Reload reads the file now (for example on SIGHUP). Unchanged content is
// a no-op; new valid content becomes current and onChange is called;
// invalid content is returned as the error and the previous policy stays.
func (w *Watcher) Reload() error { return w.reload(true) }

// Run polls the file every interval until ctx is done and reloads it when
// its size or modification time changed. Failures go to onError.
func (w *Watcher) Run(ctx context.Context) {
	t := time.NewTicker(w.interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if err := w.reload(false); err != nil {
				w.onError(err)
			}
		}
	}
}

// reload reads the file (when force, or when its stat changed) and makes
// it current if its content is new and valid. Without force, a failure
// already reported for the same stat error or content returns nil.
func (w *Watcher) reload(force bool) error {
	w.mu.Lock()
	defer w.mu.Unlock()

	fi, err := os.Stat(w.path)
	if err != nil {
		err = fmt.Errorf("policy watcher: %w", err)
		if !force && w.badStat == err.Error() {
			return nil
		}
		w.badStat, w.lastStat = err.Error(), fileStamp{}
		return err
	}
	w.badStat = ""
	stamp := fileStamp{size: fi.Size(), modTime: fi.ModTime()}
	if !force && stamp == w.lastStat {
		return nil
	}
	src, err := os.ReadFile(w.path)
	if err != nil {
		return fmt.Errorf("policy watcher: %w", err)
	}
	w.lastStat = stamp
	sum := sha256.Sum256(src)
	hash := hex.EncodeToString(sum[:])
	cur := w.current.Load()
	if cur != nil && cur.hash == hash {
		w.badSum = ""
		return nil
	}
	if !force && hash == w.badSum {
		return nil
	}
	p, err := Parse(src, w.path)
	if err != nil {
		w.badSum = hash
		return err
	}
	w.badSum = ""
	w.current.Store(p)
	if cur != nil {
		w.onChange(p)
	}
	return nil
}
