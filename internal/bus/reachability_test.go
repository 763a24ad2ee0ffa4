package bus

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"sync"
	"testing"
	"time"
)

// One failed ping is a slow broker, not an outage; two in a row are. One
// answer is enough to accept calls again.
func TestReachabilityNeedsTwoFailures(t *testing.T) {
	errDown := errors.New("connection refused")
	cases := []struct {
		name  string
		pings []error
		want  bool
	}{
		{"all answered", []error{nil, nil, nil}, true},
		{"one failure", []error{nil, errDown}, true},
		{"one failure, then an answer", []error{errDown, nil, errDown}, true},
		{"two failures in a row", []error{nil, errDown, errDown}, false},
		{"down, then an answer", []error{errDown, errDown, errDown, nil}, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var mu sync.Mutex
			next := 0
			done := make(chan struct{})
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			r := &Reachability{}
			ping := func(context.Context) error {
				mu.Lock()
				defer mu.Unlock()
				if next == len(tc.pings) {
					close(done)
					<-ctx.Done()
					return ctx.Err()
				}
				next++
				return tc.pings[next-1]
			}
			go r.watch(ctx, ping, time.Millisecond, slog.New(slog.NewTextHandler(io.Discard, nil)))
			<-done
			if got := r.Reachable(); got != tc.want {
				t.Errorf("after pings %v: reachable %v, want %v", tc.pings, got, tc.want)
			}
		})
	}
}
