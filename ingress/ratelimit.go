package ingress

import (
	"sync"
	"time"
)

// tokenBucket allows rate events a second on average, and bursts of up to
// rate at once. It bounds what strangers can make the ingress write.
type tokenBucket struct {
	rate int
	now  func() time.Time

	mu     sync.Mutex
	tokens float64
	last   time.Time
}

func newTokenBucket(rate int, now func() time.Time) *tokenBucket {
	return &tokenBucket{rate: rate, now: now, tokens: float64(rate), last: now()}
}

// take spends a token and reports whether there was one.
func (b *tokenBucket) take() bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	now := b.now()
	if elapsed := now.Sub(b.last); elapsed > 0 {
		b.tokens = min(float64(b.rate), b.tokens+elapsed.Seconds()*float64(b.rate))
		b.last = now
	}
	if b.tokens < 1 {
		return false
	}
	b.tokens--
	return true
}
