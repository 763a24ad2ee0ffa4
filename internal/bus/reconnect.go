package bus

import (
	"math/rand/v2"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
)

// Retry timing after a failed request to the broker: ReconnectMinBackoff
// doubling per failure in a row up to ReconnectMaxBackoff, each jittered
// by ±20 % so that a fleet of clients does not retry in step.
const (
	ReconnectMinBackoff = 100 * time.Millisecond
	ReconnectMaxBackoff = time.Second
	// ReconnectMetadataMinAge is the least time between two metadata
	// requests (franz-go's default is 5 s): after a broker comes back, a
	// client that needs fresh metadata waits at most this long for it.
	ReconnectMetadataMinAge = time.Second
)

// reconnectOpts make every jitgate client come back within about a second
// of the broker. franz-go's default backoff grows from 250 ms to 5 s while
// a broker is unreachable, and the same backoff paces a client's produce
// retries, its fetches and its group joins; after a broker restart every
// client (the ingress's producer, each stage's consumer, producer and
// group member) then waited up to 5 s more before trying again, one after
// the other along the pipeline: the first call went through 6–8 s after
// the broker was ready (faulttest TestOutages in make soak, docs/reliability.md). Retrying
// a loopback or in-cluster broker once a second while it is down costs a
// refused connection a second per client.
func reconnectOpts() []kgo.Opt {
	return []kgo.Opt{
		kgo.RetryBackoffFn(reconnectBackoff),
		kgo.MetadataMinAge(ReconnectMetadataMinAge),
	}
}

// reconnectBackoff is how long to wait after fails failures in a row.
func reconnectBackoff(fails int) time.Duration {
	d := ReconnectMaxBackoff
	if fails < 1 {
		fails = 1
	}
	if fails < 8 { // 100 ms << 7 is past the cap already
		d = min(ReconnectMinBackoff<<(fails-1), ReconnectMaxBackoff)
	}
	return time.Duration(float64(d) * (0.8 + 0.4*rand.Float64()))
}
