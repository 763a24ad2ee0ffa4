package cluster

import (
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
)

// Role is one of jitgate's roles, the subcommand that runs it.
type Role string

// The roles, in the order Start starts them.
const (
	Ingress  Role = "ingress"
	Decider  Role = "decider"
	Executor Role = "executor"
	Masker   Role = "masker"
	Recorder Role = "recorder"
)

// Roles lists every role in start order.
var Roles = []Role{Ingress, Decider, Executor, Masker, Recorder}

// Defaults of Config.
const (
	DefaultAudience     = "jitgate-cluster"
	DefaultRoleARN      = "arn:aws:iam::000000000000:role/jitgate-cluster-agent"
	DefaultAllowedRoles = "arn:aws:iam::000000000000:role/*"
	DefaultWait         = 15 * time.Second
	DefaultStartTimeout = 90 * time.Second
	DefaultPartitions   = 3
	DefaultRegion       = "us-east-1"
)

// Config describes a cluster.
type Config struct {
	// Bin is the jitgate binary (see Build). Required.
	Bin string
	// Dir receives each process's log, NAME.log. Required.
	Dir string
	// Kafka is the broker (host:port). Required.
	Kafka string
	// TopicPrefix is the prefix of the cluster's topics; default
	// "cluster<unix nanos>.", so clusters sharing a broker do not meet.
	TopicPrefix string
	// Partitions of the topics the roles create; default 3.
	Partitions int
	// ClickHouse is the recorder's server (host:port); empty runs no
	// recorder.
	ClickHouse string
	// Upstream is the executor's --upstream (an emulator). Required.
	Upstream string
	// Gateway are the executor's AWS credentials (the upstream checks
	// them). Required.
	Gateway aws.Credentials
	// Policy is the decider's policy file. Required.
	Policy string
	// Wait is the ingress's --wait and the executor's --max-wait; default
	// DefaultWait.
	Wait time.Duration
	// Replicas is how many processes of each role run; a role not in the
	// map runs one (the recorder none without ClickHouse).
	Replicas map[Role]int
	// Args are extra arguments per role.
	Args map[Role][]string
	// LogLevel is every process's --log-level; default "info".
	LogLevel string
	// Audience, RoleARN and AllowedRoles are the agents' token audience,
	// the role they assume and the ingress's and executor's allow-list;
	// defaults DefaultAudience, DefaultRoleARN, DefaultAllowedRoles.
	Audience, RoleARN, AllowedRoles string
	// StartTimeout bounds waiting for an ingress to be ready; default
	// DefaultStartTimeout.
	StartTimeout time.Duration
}

// withDefaults fills the defaults and checks what is required.
func (c Config) withDefaults() (Config, error) {
	for _, f := range []struct{ name, v string }{{"Bin", c.Bin}, {"Dir", c.Dir}, {"Kafka", c.Kafka},
		{"Upstream", c.Upstream}, {"Policy", c.Policy}, {"Gateway.AccessKeyID", c.Gateway.AccessKeyID}} {
		if f.v == "" {
			return c, fmt.Errorf("%w: %s is required", ErrConfig, f.name)
		}
	}
	if c.TopicPrefix == "" {
		c.TopicPrefix = fmt.Sprintf("cluster%d.", time.Now().UnixNano())
	}
	if c.Partitions <= 0 {
		c.Partitions = DefaultPartitions
	}
	if c.Wait <= 0 {
		c.Wait = DefaultWait
	}
	if c.LogLevel == "" {
		c.LogLevel = "info"
	}
	if c.Audience == "" {
		c.Audience = DefaultAudience
	}
	if c.RoleARN == "" {
		c.RoleARN = DefaultRoleARN
	}
	if c.AllowedRoles == "" {
		c.AllowedRoles = DefaultAllowedRoles
	}
	if c.StartTimeout <= 0 {
		c.StartTimeout = DefaultStartTimeout
	}
	return c, nil
}

// replicas is how many processes of r run.
func (c Config) replicas(r Role) int {
	if n, ok := c.Replicas[r]; ok {
		return n
	}
	if r == Recorder && c.ClickHouse == "" {
		return 0
	}
	return 1
}
