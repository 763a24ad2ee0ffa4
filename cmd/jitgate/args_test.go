package main

import (
	"strings"
	"testing"
)

func TestInterspersed(t *testing.T) {
	tests := []struct{ in, want string }{
		{"jitgate approve ID --reason cleanup --for 10m", "jitgate approve --reason cleanup --for 10m ID"},
		{"jitgate --log-level debug deny ID --reason=nope", "jitgate --log-level debug deny --reason=nope ID"},
		{"jitgate pending --json", "jitgate pending --json"},
		{"jitgate show ID --json", "jitgate show --json ID"},
		{"jitgate dev token --sub alice", "jitgate dev token --sub alice"},
		{"jitgate justify ID -- --not-a-flag", "jitgate justify ID -- --not-a-flag"},
		{"jitgate policy explain FILE --request {}", "jitgate policy explain --request {} FILE"},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			got := strings.Join(interspersed(app(), strings.Fields(tc.in)), " ")
			if got != tc.want {
				t.Fatalf("got  %s\nwant %s", got, tc.want)
			}
		})
	}
}
