package decider

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jitgate/jitgate/internal/bus"
	"github.com/jitgate/jitgate/internal/ids"
	"github.com/jitgate/jitgate/schemas"
)

// benchPolicy is a policy of n rules: teams owning buckets, tables and
// queues, most rules naming a service and operations, one in ten by effect
// alone.
func benchPolicy(n int) string {
	templates := []string{
		`"team-%[1]d" in principal.groups && service == "s3" && operation in ["GetObject", "PutObject", "ListObjectsV2"] && resources.bucket == "team-%[1]d-data"`,
		`"team-%[1]d" in principal.groups && service == "dynamodb" && "write" in call.effects && glob(resources.table, "team-%[1]d-*")`,
		`service == "ec2" && glob(operation, "Describe*") && "team-%[1]d" in principal.groups`,
		`service == "sqs" && operation == "SendMessage" && resources.queue endsWith "/team-%[1]d-jobs"`,
		`"team-%[1]d" in principal.groups && service == "dynamodb" && readOnly && resources.table startsWith "team-%[1]d-"`,
		`service == "lambda" && operation == "Invoke" && anyGlob(resources.arns, "arn:aws:lambda:*:*:function:team-%[1]d-*")`,
		`service == "s3" && "delete" in call.effects && principal.sub == "bot-%[1]d"`,
		`service == "kms" && "team-%[1]d" in principal.groups`,
		`service == "iam" && "team-%[1]d-admins" in principal.groups`,
		`"permissions" in call.effects && "team-%[1]d" in principal.groups`,
	}
	var b strings.Builder
	b.WriteString("version: 1\nrules:\n")
	for i := range n {
		fmt.Fprintf(&b, "  - name: r%d\n    when: '%s'\n    then: allow\n", i, fmt.Sprintf(templates[i%len(templates)], i/len(templates)))
	}
	return b.String()
}

// benchCalls are sealed request.received records (wire bytes) for a mix of
// calls from teams 0..teams-1, as the stage loop receives them.
func benchCalls(b *testing.B, k, teams int) [][]byte {
	r := rand.New(rand.NewPCG(7, uint64(teams)))
	mix := []struct{ service, op, params string }{
		{"s3", "GetObject", `{"Bucket":"team-%[1]d-data","Key":"reports/2030/01/02.json"}`},
		{"s3", "PutObject", `{"Bucket":"team-%[1]d-data","Key":"reports/2030/01/02.json","ContentType":"application/json"}`},
		{"s3", "DeleteObject", `{"Bucket":"team-%[1]d-data","Key":"tmp/x"}`},
		{"dynamodb", "GetItem", `{"TableName":"team-%[1]d-orders","Key":{"id":{"S":"42"}},"ConsistentRead":true}`},
		{"dynamodb", "PutItem", `{"TableName":"team-%[1]d-orders","Item":{"id":{"S":"42"},"total":{"N":"12.5"},"lines":{"L":[{"S":"a"},{"S":"b"}]}}}`},
		{"dynamodb", "Query", `{"TableName":"team-%[1]d-orders","KeyConditionExpression":"id = :id","ExpressionAttributeValues":{":id":{"S":"42"}}}`},
		{"sqs", "SendMessage", `{"QueueUrl":"https://sqs.eu-west-1.amazonaws.com/123456789012/team-%[1]d-jobs","MessageBody":"{\"job\":1}"}`},
		{"ec2", "DescribeInstances", `{"InstanceIds":["i-0123456789abcdef0"]}`},
		{"lambda", "Invoke", `{"FunctionName":"arn:aws:lambda:eu-west-1:123456789012:function:team-%[1]d-api"}`},
		{"sts", "GetCallerIdentity", `{}`},
	}
	model, err := testModel()
	if err != nil {
		b.Fatal(err)
	}
	out := make([][]byte, 0, k)
	for range k {
		c := mix[r.IntN(len(mix))]
		team := r.IntN(teams)
		info, ok := model.Operation(c.service, c.op)
		if !ok {
			b.Fatalf("%s:%s is not in the model", c.service, c.op)
		}
		req := request(call{
			who:     schemas.Principal{Subject: fmt.Sprintf("bot-%d", team), Issuer: iss, Groups: []string{fmt.Sprintf("team-%d", team), "agents"}},
			service: c.service, operation: c.op, readOnly: info.ReadOnly, params: strings.ReplaceAll(c.params, "%[1]d", fmt.Sprint(team)),
		}, t0.Add(30*time.Second))
		req.Source = "10.1.2.3"
		req.HTTP.Headers = []schemas.Header{{Name: "Content-Type", Value: "application/x-amz-json-1.0"}, {Name: "User-Agent", Value: "aws-sdk-go-v2/1.36.0 os/linux lang/go#1.26.8 md/GOOS#linux md/GOARCH#amd64 api/dynamodb#1.44.0"}}
		req.HTTP.SignedHeaders = []string{"content-type", "host", "x-amz-date"}
		req.HTTP.Body = []byte(req.Params)
		req.HTTP.BodySize = int64(len(req.Params))
		env, err := schemas.NewEnvelope(ids.New(), ids.New(), schemas.ProducerName(schemas.RoleIngress, "i-1"), t0, req)
		if err != nil {
			b.Fatal(err)
		}
		if err := schemas.Seal(&env, holdsKey); err != nil {
			b.Fatal(err)
		}
		raw, err := env.Marshal()
		if err != nil {
			b.Fatal(err)
		}
		out = append(out, raw)
	}
	return out
}

// BenchmarkHandle is the decider's whole per-request path as the stage
// loop runs it: decode the record, verify its seal, decode the request,
// look up its effects, match grants (none), evaluate the policy, build,
// seal and log the decision (and the denial's response).
func BenchmarkHandle(b *testing.B) {
	for _, n := range []int{10, 100, 1000} {
		b.Run(fmt.Sprintf("rules=%d", n), func(b *testing.B) {
			model, err := testModel()
			if err != nil {
				b.Fatal(err)
			}
			path := filepath.Join(b.TempDir(), "policy.yaml")
			if err := os.WriteFile(path, []byte(benchPolicy(n)), 0o600); err != nil {
				b.Fatal(err)
			}
			d, err := New(Config{Bus: unitBus, Instance: "decider-1", PolicyFile: path, DecisionKey: key, HoldsKey: holdsKey},
				Deps{Publisher: &fakePublisher{}, Logger: slog.New(slog.NewJSONHandler(io.Discard, nil)), Now: func() time.Time { return t0 }, Model: model})
			if err != nil {
				b.Fatal(err)
			}
			records := benchCalls(b, 256, max(n/10, 1))
			ctx := context.Background()
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				env, err := schemas.Unmarshal(records[i%len(records)])
				if err != nil {
					b.Fatal(err)
				}
				res, err := d.Handle(ctx, bus.Message{Topic: schemas.TopicRequests, Partition: 1, Offset: int64(i), Envelope: env})
				if err != nil || len(res.Out) == 0 {
					b.Fatalf("handle: %v, %d outputs", err, len(res.Out))
				}
				i++
			}
		})
	}
}
