package bus

import "testing"

// Gateways sharing a cluster under different topic prefixes must not share
// consumer groups (nor the static member and transactional ids derived
// from them).
func TestGroupNameFollowsThePrefix(t *testing.T) {
	tests := []struct{ prefix, want string }{
		{"", "jitgate-decider"},
		{"jitgate.", "jitgate-decider"},
		{"team-a.", "team-a-decider"},
		{"e2e42", "e2e42-decider"},
	}
	for _, tt := range tests {
		if got := (Config{Prefix: tt.prefix}).GroupName("decider"); got != tt.want {
			t.Errorf("prefix %q: group %q, want %q", tt.prefix, got, tt.want)
		}
	}
}
