package bus

import (
	"testing"
	"time"
)

func TestReconnectBackoff(t *testing.T) {
	tests := []struct {
		name  string
		fails int
		base  time.Duration // before the ±20 % jitter
	}{
		{name: "no failure yet", fails: 0, base: ReconnectMinBackoff},
		{name: "first failure", fails: 1, base: ReconnectMinBackoff},
		{name: "doubles", fails: 3, base: 4 * ReconnectMinBackoff},
		{name: "capped", fails: 5, base: ReconnectMaxBackoff},
		{name: "long outage stays capped", fails: 200, base: ReconnectMaxBackoff},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			lo, hi := time.Duration(float64(tt.base)*0.8), time.Duration(float64(tt.base)*1.2)
			for range 100 {
				if d := reconnectBackoff(tt.fails); d < lo || d > hi {
					t.Fatalf("reconnectBackoff(%d) = %s, want within [%s, %s]", tt.fails, d, lo, hi)
				}
			}
		})
	}
}
