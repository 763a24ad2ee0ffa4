package cluster

import (
	"errors"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
)

func TestConfigDefaultsAndRequired(t *testing.T) {
	full := Config{Bin: "/bin/jitgate", Dir: "/tmp/x", Kafka: "127.0.0.1:9092", Upstream: "http://127.0.0.1:1",
		Policy: "p.yaml", Gateway: aws.Credentials{AccessKeyID: "AKIA", SecretAccessKey: "s"}}
	tests := []struct {
		name    string
		edit    func(*Config)
		wantErr string // "" for success
	}{
		{name: "complete", edit: func(*Config) {}},
		{name: "no binary", edit: func(c *Config) { c.Bin = "" }, wantErr: "Bin"},
		{name: "no broker", edit: func(c *Config) { c.Kafka = "" }, wantErr: "Kafka"},
		{name: "no upstream", edit: func(c *Config) { c.Upstream = "" }, wantErr: "Upstream"},
		{name: "no gateway credentials", edit: func(c *Config) { c.Gateway = aws.Credentials{} }, wantErr: "Gateway"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := full
			tt.edit(&c)
			got, err := c.withDefaults()
			if tt.wantErr != "" {
				if !errors.Is(err, ErrConfig) || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("withDefaults() = %v, want ErrConfig naming %s", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got.Wait != DefaultWait || got.Partitions != DefaultPartitions || !strings.HasPrefix(got.TopicPrefix, "cluster") {
				t.Errorf("defaults not filled: %+v", got)
			}
		})
	}
}

func TestReplicas(t *testing.T) {
	tests := []struct {
		name string
		cfg  Config
		role Role
		want int
	}{
		{name: "one of each by default", cfg: Config{ClickHouse: "ch:9000"}, role: Decider, want: 1},
		{name: "recorder with ClickHouse", cfg: Config{ClickHouse: "ch:9000"}, role: Recorder, want: 1},
		{name: "no recorder without ClickHouse", cfg: Config{}, role: Recorder, want: 0},
		{name: "replicas asked for", cfg: Config{Replicas: map[Role]int{Executor: 2}}, role: Executor, want: 2},
		{name: "none asked for", cfg: Config{ClickHouse: "ch:9000", Replicas: map[Role]int{Recorder: 0}}, role: Recorder, want: 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.cfg.replicas(tt.role); got != tt.want {
				t.Errorf("replicas(%s) = %d, want %d", tt.role, got, tt.want)
			}
		})
	}
}
