package faulttest

import (
	"testing"
	"time"
)

func TestLongestGap(t *testing.T) {
	t0 := time.Unix(1000, 0)
	at := func(s ...float64) []time.Time {
		var out []time.Time
		for _, x := range s {
			out = append(out, t0.Add(time.Duration(x*float64(time.Second))))
		}
		return out
	}
	tests := []struct {
		name      string
		successes []time.Time
		from, to  float64
		want      time.Duration
	}{
		{name: "steady", successes: at(0, 1, 2, 3, 4, 5, 6), from: 2, to: 4, want: time.Second},
		{name: "stall after the fault", successes: at(0, 1, 2, 9, 10), from: 2.5, to: 9.5, want: 7 * time.Second},
		{name: "nothing after the fault", successes: at(0, 1, 2), from: 3, to: 8, want: 6 * time.Second},
		{name: "nothing before the fault", successes: at(4, 5), from: 1, to: 6, want: 3 * time.Second},
		{name: "gap runs past the window: cut at its end", successes: at(1, 2, 20), from: 3, to: 5, want: 3 * time.Second},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			from := t0.Add(time.Duration(tt.from * float64(time.Second)))
			to := t0.Add(time.Duration(tt.to * float64(time.Second)))
			if got := longestGap(tt.successes, from, to); got != tt.want {
				t.Errorf("longestGap = %s, want %s", got, tt.want)
			}
		})
	}
}
