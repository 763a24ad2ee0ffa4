package ingress

import (
	"strings"
	"testing"
	"time"

	"github.com/jitgate/jitgate/internal/bus"
)

func TestConfigLimits(t *testing.T) {
	base := func() Config {
		return Config{Replica: "r", Bus: bus.Config{Brokers: []string{"127.0.0.1:1"}}}
	}
	t.Run("defaults", func(t *testing.T) {
		c := base()
		c.setDefaults()
		if err := c.Validate(); err != nil {
			t.Fatal(err)
		}
		if c.MaxHeaderBytes != 64<<10 || c.BodyMinRate != 4<<10 || c.BodyGrace != 10*time.Second || c.MaxInFlight != 1024 ||
			c.MaxInFlightPerPrincipal != 64 || c.ReplayLookback != 12*time.Hour || c.ReadHeaderTimeout != 10*time.Second {
			t.Fatalf("defaults %+v", c)
		}
	})
	t.Run("per-principal default follows a small global limit", func(t *testing.T) {
		c := base()
		c.MaxInFlight = 8
		c.setDefaults()
		if c.MaxInFlightPerPrincipal != 8 || c.Validate() != nil {
			t.Fatalf("per principal %d", c.MaxInFlightPerPrincipal)
		}
	})
	tests := []struct {
		name   string
		change func(*Config)
		want   string
	}{
		{"negative body rate", func(c *Config) { c.BodyMinRate = -1 }, "must not be negative"},
		{"negative look-back", func(c *Config) { c.ReplayLookback = -time.Minute }, "must not be negative"},
		{"per principal above global", func(c *Config) { c.MaxInFlight, c.MaxInFlightPerPrincipal = 4, 5 }, "exceeds --max-in-flight"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := base()
			tt.change(&c)
			c.setDefaults()
			if err := c.Validate(); err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Validate = %v, want %q", err, tt.want)
			}
		})
	}
}
