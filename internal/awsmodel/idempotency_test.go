package awsmodel

import (
	"context"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sts"
)

func TestIdempotencyTokenMembers(t *testing.T) {
	ix := mustLoad(t)
	tests := []struct {
		name, service, op string
		want              TokenMember // zero: none
	}{
		{"ec2 RunInstances: EC2 capitalises locationName", "ec2", "RunInstances", TokenMember{"ClientToken", "body", "ClientToken"}},
		{"dynamodb TransactWriteItems", "dynamodb", "TransactWriteItems", TokenMember{"ClientRequestToken", "body", "ClientRequestToken"}},
		{"rest-json body member with a locationName", "guardduty", "CreateDetector", TokenMember{"ClientToken", "body", "clientToken"}},
		{"rest-json querystring member", "accessanalyzer", "DeleteAnalyzer", TokenMember{"clientToken", "querystring", "clientToken"}},
		{"rest-xml header member", "s3", "RenameObject", TokenMember{"ClientToken", "header", "x-amz-client-token"}},
		{"query protocol", "autoscaling", "LaunchInstances", TokenMember{"ClientToken", "body", "ClientToken"}},
		{"cbor", "comprehendmedical", "StartEntitiesDetectionV2Job", TokenMember{"ClientRequestToken", "body", "ClientRequestToken"}},
		{"sts AssumeRole has none", "sts", "AssumeRole", TokenMember{}},
		{"sts GetCallerIdentity has none", "sts", "GetCallerIdentity", TokenMember{}},
		{"dynamodb PutItem has none", "dynamodb", "PutItem", TokenMember{}},
		{"unknown operation", "ec2", "NoSuchOperation", TokenMember{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := ix.IdempotencyToken(tt.service, tt.op)
			if ok != (tt.want != TokenMember{}) || got != tt.want {
				t.Errorf("IdempotencyToken(%s, %s) = %+v, %v; want %+v", tt.service, tt.op, got, ok, tt.want)
			}
			if info, found := ix.Operation(tt.service, tt.op); found && info.TokenMember != tt.want.Member {
				t.Errorf("Operation(...).TokenMember = %q, want %q", info.TokenMember, tt.want.Member)
			}
		})
	}
}

// TestIdentifyIdempotencyToken identifies requests the Go SDK built and
// signed: the operation names its token member and the request's value,
// the SDK's own when the caller left it empty.
func TestIdentifyIdempotencyToken(t *testing.T) {
	ix := mustLoad(t)
	cs := newCaptureServer(t)
	cfg := aws.Config{
		Region:           "us-west-2",
		Credentials:      credentials.NewStaticCredentialsProvider("AKIDEXAMPLE", "not-a-secret", "token"),
		BaseEndpoint:     aws.String(cs.URL),
		RetryMaxAttempts: 1,
	}
	ec2c := ec2.NewFromConfig(cfg)
	ddb := dynamodb.NewFromConfig(cfg)
	s3c := s3.NewFromConfig(cfg, func(o *s3.Options) { o.UsePathStyle = true })
	stsc := sts.NewFromConfig(cfg)
	const filled = "<filled by the SDK>"
	tests := []struct {
		name        string
		call        func(context.Context) error
		member, tok string
	}{
		{"ec2 RunInstances with a token", func(ctx context.Context) error {
			_, err := ec2c.RunInstances(ctx, &ec2.RunInstancesInput{ImageId: aws.String("ami-1"), MinCount: aws.Int32(1), MaxCount: aws.Int32(1),
				ClientToken: aws.String("tok-1")})
			return err
		}, "ClientToken", "tok-1"},
		{"ec2 RunInstances, token left to the SDK", func(ctx context.Context) error {
			_, err := ec2c.RunInstances(ctx, &ec2.RunInstancesInput{ImageId: aws.String("ami-1"), MinCount: aws.Int32(1), MaxCount: aws.Int32(1)})
			return err
		}, "ClientToken", filled},
		{"dynamodb TransactWriteItems, token left to the SDK", func(ctx context.Context) error {
			_, err := ddb.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: []ddbtypes.TransactWriteItem{{
				Put: &ddbtypes.Put{TableName: aws.String("t"), Item: map[string]ddbtypes.AttributeValue{"id": &ddbtypes.AttributeValueMemberS{Value: "1"}}}}}})
			return err
		}, "ClientRequestToken", filled},
		{"s3 RenameObject, token in a header", func(ctx context.Context) error {
			_, err := s3c.RenameObject(ctx, &s3.RenameObjectInput{Bucket: aws.String("bkt"), Key: aws.String("new"),
				RenameSource: aws.String("old"), ClientToken: aws.String("tok-h")})
			return err
		}, "ClientToken", "tok-h"},
		{"dynamodb PutItem has no token", func(ctx context.Context) error {
			_, err := ddb.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String("t"),
				Item: map[string]ddbtypes.AttributeValue{"id": &ddbtypes.AttributeValueMemberS{Value: "1"}}})
			return err
		}, "", ""},
		{"sts AssumeRole has no token", func(ctx context.Context) error {
			_, err := stsc.AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String("arn:aws:iam::123456789012:role/r"), RoleSessionName: aws.String("a")})
			return err
		}, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_ = tt.call(t.Context())
			c := cs.take(t)
			op, err := ix.Identify(c.req, c.body, scopeHint(t, c.req))
			if err != nil {
				t.Fatalf("Identify: %v", err)
			}
			if op.TokenMember != tt.member {
				t.Errorf("TokenMember = %q, want %q", op.TokenMember, tt.member)
			}
			switch {
			case tt.tok == filled && len(op.IdempotencyToken) < 16:
				t.Errorf("IdempotencyToken = %q, want the SDK's UUID", op.IdempotencyToken)
			case tt.tok != filled && op.IdempotencyToken != tt.tok:
				t.Errorf("IdempotencyToken = %q, want %q", op.IdempotencyToken, tt.tok)
			}
		})
	}
}
