package bus

import (
	"sync"
	"sync/atomic"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// requestCounts counts the Kafka requests every client of this process
// wrote, by request kind (kmsg key). It is how a benchmark learns what a
// call costs the broker without the debug log, whose lines would cost more
// than the requests they describe: one atomic add per request.
var requestCounts [kmsgKeys]atomic.Int64

// kmsgKeys bounds the request keys counted; Kafka's keys are below 100.
const kmsgKeys = 128

// countRequests is the kgo hook that fills requestCounts.
type countRequests struct{}

var _ kgo.HookBrokerWrite = countRequests{}

// OnBrokerWrite implements kgo.HookBrokerWrite: one request written (or
// attempted) to a broker.
func (countRequests) OnBrokerWrite(_ kgo.BrokerMetadata, key int16, _ int, _, _ time.Duration, err error) {
	if err == nil && key >= 0 && int(key) < kmsgKeys {
		requestCounts[key].Add(1)
	}
}

var keyNames sync.Map // int16 -> string

// KafkaRequests returns how many Kafka requests this process's clients
// wrote since it started, by request name (Produce, Fetch, EndTxn, ...).
// Kinds never sent are absent.
func KafkaRequests() map[string]int64 {
	out := map[string]int64{}
	for k := range requestCounts {
		n := requestCounts[k].Load()
		if n == 0 {
			continue
		}
		name, ok := keyNames.Load(int16(k))
		if !ok {
			name = kmsg.NameForKey(int16(k))
			keyNames.Store(int16(k), name)
		}
		out[name.(string)] = n
	}
	return out
}
