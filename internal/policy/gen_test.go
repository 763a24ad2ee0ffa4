package policy

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"sync"
	"testing"

	"github.com/jitgate/jitgate/internal/awsmodel"
)

// Realistic policies and calls for the benchmarks and the index property
// test: teams owning buckets, tables, functions and queues, rules that
// name services and operations (most of a real policy) and a few that
// constrain neither (by effect, by group, by parameter).

// testModel is the embedded AWS model, loaded once.
var testModel = sync.OnceValues(awsmodel.Load)

// realisticTemplates are rule bodies; %[1]d is a team number.
var realisticTemplates = []struct {
	when string
	then string
}{
	{`"team-%[1]d" in principal.groups && service == "s3" && operation in ["GetObject", "PutObject", "ListObjectsV2"] && resources.bucket == "team-%[1]d-data"`, "allow"},
	{`"team-%[1]d" in principal.groups && service == "dynamodb" && "write" in call.effects && glob(resources.table, "team-%[1]d-*")`, "hold"},
	{`service == "ec2" && glob(operation, "Terminate*") && "team-%[1]d" in principal.groups`, "deny"},
	{`service == "lambda" && operation == "Invoke" && anyGlob(resources.arns, "arn:aws:lambda:*:123456789012:function:team-%[1]d-*")`, "allow"},
	{`service in ["sqs", "sns"] && "team-%[1]d" in principal.groups && !("delete" in call.effects)`, "allow"},
	{`"team-%[1]d" in principal.groups && service == "dynamodb" && readOnly && resources.table startsWith "team-%[1]d-"`, "allow"},
	{`glob(operation, "Describe*") && service == "ec2" && cidr(source, "10.%[1]d.0.0/16")`, "allow"},
	{`service == "s3" && "delete" in call.effects && principal.sub == "bot-%[1]d"`, "hold"},
	{`service == "iam" && "team-%[1]d-admins" in principal.groups`, "hold"},
	{`(service == "s3" || service == "dynamodb") && operation not in ["DeleteBucket", "DeleteTable"] && "team-%[1]d-ops" in principal.groups`, "allow"},
	{`"team-%[1]d" in principal.groups && service == "sqs" && operation == "SendMessage" && resources.queue endsWith "/team-%[1]d-jobs"`, "allow"},
	{`service == "kms" && "team-%[1]d" in principal.groups`, "deny"},
	{`service == "lambda" && glob(operation, "Update*") && "team-%[1]d-deployers" in principal.groups`, "hold"},
	{`service == "s3" && operation == "PutBucketPolicy" && resources.bucket == "team-%[1]d-data"`, "deny"},
	{`service == "dynamodb" && operation in ["Query", "Scan"] && "team-%[1]d-analysts" in principal.groups`, "allow"},
	{`"team-%[1]d" in principal.groups && service == "ec2" && operation in ["StartInstances", "StopInstances"] && len(resources.instances) <= 5`, "hold"},
	{`service == "sts" && operation == "GetCallerIdentity" && principal.sub != "bot-%[1]d-disabled"`, "allow"},
	{`service == "s3" && operation == "GetObject" && resources.key startsWith "public/" && "team-%[1]d-readers" in principal.groups`, "allow"},
	// Rules that constrain neither service nor operation: every call
	// evaluates them.
	{`"permissions" in call.effects && "team-%[1]d" in principal.groups`, "deny"},
	{`(params.DryRun ?? false) == true && "team-%[1]d" in principal.groups`, "allow"},
}

// realisticPolicy is a policy of n rules cycling through the templates,
// each template instance for another team, ending with a broad rule.
func realisticPolicy(n int) string {
	var b strings.Builder
	b.WriteString("version: 1\nrules:\n")
	for i := range n - 1 {
		t := realisticTemplates[i%len(realisticTemplates)]
		team := i / len(realisticTemplates)
		fmt.Fprintf(&b, "  - name: r%d\n    when: '%s'\n    then: %s\n", i, strings.ReplaceAll(fmt.Sprintf(t.when, team), "'", "''"), t.then)
		if t.then == "hold" {
			b.WriteString("    approvers: [approvers]\n")
		}
	}
	b.WriteString("  - name: sandbox-reads\n    when: '\"sandbox\" in principal.groups && readOnly'\n    then: allow\n")
	return b.String()
}

// calls are the services and operations realistic inputs draw from, with
// a parameter maker per service.
var calls = []struct {
	service string
	ops     []string
	params  func(team int, r *rand.Rand) map[string]any
}{
	{"s3", []string{"GetObject", "PutObject", "ListObjectsV2", "DeleteObject", "PutBucketPolicy", "DeleteBucket", "HeadObject"}, func(team int, r *rand.Rand) map[string]any {
		key := fmt.Sprintf("reports/%d.json", r.IntN(100))
		if r.IntN(3) == 0 {
			key = "public/index.html"
		}
		return map[string]any{"Bucket": fmt.Sprintf("team-%d-data", team), "Key": key}
	}},
	{"dynamodb", []string{"GetItem", "PutItem", "Query", "Scan", "DeleteItem", "BatchWriteItem", "UpdateItem"}, func(team int, r *rand.Rand) map[string]any {
		return map[string]any{"TableName": fmt.Sprintf("team-%d-orders", team), "Key": map[string]any{"id": map[string]any{"S": fmt.Sprint(r.IntN(1000))}}}
	}},
	{"lambda", []string{"Invoke", "UpdateFunctionCode", "GetFunction"}, func(team int, _ *rand.Rand) map[string]any {
		return map[string]any{"FunctionName": fmt.Sprintf("arn:aws:lambda:eu-west-1:123456789012:function:team-%d-api", team)}
	}},
	{"sqs", []string{"SendMessage", "ReceiveMessage", "PurgeQueue"}, func(team int, _ *rand.Rand) map[string]any {
		return map[string]any{"QueueUrl": fmt.Sprintf("https://sqs.eu-west-1.amazonaws.com/123456789012/team-%d-jobs", team), "MessageBody": "{}"}
	}},
	{"ec2", []string{"DescribeInstances", "StartInstances", "StopInstances", "TerminateInstances"}, func(team int, r *rand.Rand) map[string]any {
		return map[string]any{"InstanceIds": []any{fmt.Sprintf("i-%04d", team), fmt.Sprintf("i-%04d", r.IntN(1000))}, "DryRun": r.IntN(10) == 0}
	}},
	{"sts", []string{"GetCallerIdentity", "AssumeRole"}, func(int, *rand.Rand) map[string]any {
		return map[string]any{}
	}},
	{"iam", []string{"ListRoles", "AttachRolePolicy"}, func(team int, _ *rand.Rand) map[string]any {
		return map[string]any{"RoleName": fmt.Sprintf("team-%d-app", team), "PolicyArn": "arn:aws:iam::aws:policy/ReadOnlyAccess"}
	}},
	{"kms", []string{"Decrypt", "Encrypt"}, func(int, *rand.Rand) map[string]any {
		return map[string]any{"KeyId": "alias/app"}
	}},
}

// realisticInputs draws k calls from teams 0..teams-1, with their effects
// and read-only flag from the AWS model.
func realisticInputs(tb testing.TB, r *rand.Rand, k, teams int) []Input {
	tb.Helper()
	ix, err := testModel()
	if err != nil {
		tb.Fatal(err)
	}
	out := make([]Input, 0, k)
	for range k {
		c := calls[r.IntN(len(calls))]
		op := c.ops[r.IntN(len(c.ops))]
		team := r.IntN(max(teams, 1))
		groups := []string{fmt.Sprintf("team-%d", team)}
		switch r.IntN(4) {
		case 0:
			groups = append(groups, "sandbox")
		case 1:
			groups = append(groups, fmt.Sprintf("team-%d-ops", team), fmt.Sprintf("team-%d-analysts", team))
		}
		effects, ok := ix.Effects(c.service, op)
		if !ok {
			tb.Fatalf("%s:%s is not in the model", c.service, op)
		}
		out = append(out, Input{
			Principal: Principal{Sub: fmt.Sprintf("bot-%d", team), Issuer: "https://idp", Groups: groups},
			Service:   c.service,
			Operation: op,
			Region:    "eu-west-1",
			ReadOnly:  !containsAny(effects, "write", "delete", "permissions", "credentials", "execute"),
			Params:    c.params(team, r),
			Source:    fmt.Sprintf("10.%d.%d.%d", r.IntN(max(teams, 1)), r.IntN(256), r.IntN(256)),
			Role:      "arn:aws:iam::123456789012:role/agent",
			Effects:   effects,
		})
	}
	return out
}

func containsAny(list []string, want ...string) bool {
	for _, w := range want {
		if contains(list, w) {
			return true
		}
	}
	return false
}
