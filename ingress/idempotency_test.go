package ingress

import (
	"context"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/ec2"

	"github.com/jitgate/jitgate/schemas"
)

// TestRequestCarriesIdempotencyToken: request.received carries the token
// the forwarded bytes carry (the caller's, or the one the SDK filled), so
// that an executor may send them again after a crash; "" where the
// operation has no token member.
func TestRequestCarriesIdempotencyToken(t *testing.T) {
	e := newEnv(t, envOpts{wait: 100 * time.Millisecond})
	creds := static(e.agentCreds("agent-1"))
	item := map[string]ddbtypes.AttributeValue{"id": &ddbtypes.AttributeValueMemberS{Value: "1"}}
	tests := []struct {
		name string
		call func(context.Context)
		op   string
		want string // "*": any non-empty token
	}{
		{"ec2 RunInstances with the caller's token", func(ctx context.Context) {
			e.ec2(creds).RunInstances(ctx, &ec2.RunInstancesInput{ImageId: aws.String("ami-1"), MinCount: aws.Int32(1), MaxCount: aws.Int32(1), ClientToken: aws.String("tok-1")})
		}, "RunInstances", "tok-1"},
		{"dynamodb TransactWriteItems with the SDK's token", func(ctx context.Context) {
			e.dynamodb(creds).TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: []ddbtypes.TransactWriteItem{{Put: &ddbtypes.Put{TableName: aws.String("t"), Item: item}}}})
		}, "TransactWriteItems", "*"},
		{"dynamodb PutItem has none", func(ctx context.Context) {
			e.dynamodb(creds).PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String("t"), Item: item})
		}, "PutItem", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			tt.call(ctx) // nobody answers: the wait runs out
			var req *schemas.RequestReceived
			for _, o := range e.pub.published() {
				if r, err := schemas.DecodeAs[*schemas.RequestReceived](o.Envelope); err == nil && r.Operation == tt.op {
					req = r
				}
			}
			if req == nil {
				t.Fatalf("no request.received for %s", tt.op)
			}
			if got := req.IdempotencyToken; tt.want == "*" && got == "" || tt.want != "*" && got != tt.want {
				t.Errorf("idempotency token %q, want %q", got, tt.want)
			}
		})
	}
}
