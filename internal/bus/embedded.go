package bus

import (
	"fmt"
	"os"
	"strings"

	"github.com/twmb/franz-go/pkg/kfake"
)

// Embedded is an in-process Kafka-protocol broker (franz-go's kfake) for
// `jitgate dev` and tests. It listens on 127.0.0.1 only and has no
// replication: not for production.
type Embedded struct {
	c *kfake.Cluster
}

// StartEmbedded starts one broker on port (0 = any free port). A non-empty
// dataDir keeps the log across restarts.
func StartEmbedded(port int, dataDir string) (*Embedded, error) {
	opts := []kfake.Opt{kfake.NumBrokers(1), kfake.Ports(port)}
	if dataDir != "" {
		if err := os.MkdirAll(dataDir, 0o700); err != nil {
			return nil, fmt.Errorf("bus: embedded broker data dir: %w", err)
		}
		opts = append(opts, kfake.DataDir(dataDir))
	}
	c, err := kfake.NewCluster(opts...)
	if err != nil {
		return nil, fmt.Errorf("bus: start embedded broker: %w", err)
	}
	return &Embedded{c: c}, nil
}

// Addrs are the broker addresses to give clients.
func (e *Embedded) Addrs() []string { return e.c.ListenAddrs() }

// String is the comma-separated broker list.
func (e *Embedded) String() string { return strings.Join(e.Addrs(), ",") }

// Close stops the broker (and, with a data dir, persists its state).
func (e *Embedded) Close() { e.c.Close() }
