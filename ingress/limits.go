package ingress

import (
	"net/http"
	"sync"
)

// inFlight bounds the calls served at once, per replica and per principal.
// A held call counts until it is answered: an agent that floods holds
// throttles itself, not its neighbours.
type inFlight struct {
	global chan struct{}
	maxPer int

	mu  sync.Mutex
	per map[string]int
}

func newInFlight(global, perPrincipal int) *inFlight {
	return &inFlight{global: make(chan struct{}, global), maxPer: perPrincipal, per: map[string]int{}}
}

// enter takes a global slot; false when all are taken.
func (l *inFlight) enter() bool {
	select {
	case l.global <- struct{}{}:
		return true
	default:
		return false
	}
}

func (l *inFlight) leave() { <-l.global }

// enterAs takes one of principal's slots; false when all are taken.
func (l *inFlight) enterAs(principal string) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.per[principal] >= l.maxPer {
		return false
	}
	l.per[principal]++
	return true
}

func (l *inFlight) leaveAs(principal string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.per[principal]--; l.per[principal] <= 0 {
		delete(l.per, principal)
	}
}

// retryAfter is the Retry-After of a throttled call, in seconds: the SDKs'
// own backoff applies on top.
const retryAfter = "1"

// throttled is the protocol's own throttling error, which every SDK retries
// with backoff: S3's SlowDown (503), the JSON protocols'
// ThrottlingException, the query protocol's Throttling, EC2's
// RequestLimitExceeded.
func throttled(protocol, what string) apiError {
	msg := what + ": slow down and retry (Retry-After " + retryAfter + "s)"
	switch protocol {
	case protoJSON, protoRESTJSON, protoCBOR:
		return apiError{http.StatusBadRequest, "ThrottlingException", msg}
	case protoQuery:
		return apiError{http.StatusBadRequest, "Throttling", msg}
	case protoEC2:
		return apiError{http.StatusServiceUnavailable, "RequestLimitExceeded", msg}
	default:
		return apiError{http.StatusServiceUnavailable, "SlowDown", msg}
	}
}
