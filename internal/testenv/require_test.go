package testenv

import (
	"testing"
)

func TestServersRequired(t *testing.T) {
	tests := []struct {
		name string
		env  map[string]string
		want bool
	}{
		{name: "nothing set", env: nil, want: false},
		{name: "CI true", env: map[string]string{"CI": "true"}, want: true},
		{name: "CI any value", env: map[string]string{"CI": "1"}, want: true},
		{name: "CI false", env: map[string]string{"CI": "false"}, want: false},
		{name: "CI empty", env: map[string]string{"CI": ""}, want: false},
		{name: "required by flag", env: map[string]string{"JITGATE_REQUIRE_SERVERS": "1"}, want: true},
		{name: "flag not 1", env: map[string]string{"JITGATE_REQUIRE_SERVERS": "yes"}, want: false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			getenv := func(k string) string { return tt.env[k] }
			if got := serversRequired(getenv); got != tt.want {
				t.Errorf("serversRequired(%v) = %v, want %v", tt.env, got, tt.want)
			}
		})
	}
}
