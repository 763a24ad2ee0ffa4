package difftest

// Requests built and signed by real aws-sdk-go-v2 service clients, caught by
// an HTTP client that records them and answers with an error, so nothing
// leaves the process.

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	lambdatypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sts"
)

// errCaptured ends every call once its request is recorded.
var errCaptured = errors.New("difftest: request captured")

// catcher is an aws.HTTPClient that records requests. The body is read
// inside Do: the SDK closes it once the call fails.
type catcher struct {
	last *http.Request
	body []byte
	err  error
}

func (c *catcher) Do(r *http.Request) (*http.Response, error) {
	c.last, c.body, c.err = r, nil, nil
	if r.Body != nil {
		c.body, c.err = io.ReadAll(r.Body)
	}
	return nil, errCaptured
}

// sdkCall is one Go SDK call and what it means.
type sdkCall struct {
	service, op, protocol string
	call                  func(context.Context) error
	expect                map[string]any
}

// GoSDKEntries builds requests with aws-sdk-go-v2 clients (S3, DynamoDB,
// Lambda, EC2, IAM, STS) and returns them as corpus entries.
func GoSDKEntries(ctx context.Context) ([]Entry, error) {
	c := &catcher{}
	cfg := aws.Config{
		Region:                     "us-west-2",
		Credentials:                credentials.NewStaticCredentialsProvider("AKIDEXAMPLE", "not-a-secret", "token"),
		BaseEndpoint:               aws.String("http://127.0.0.1:8443"),
		HTTPClient:                 c,
		RetryMaxAttempts:           1,
		RequestChecksumCalculation: aws.RequestChecksumCalculationWhenRequired,
	}
	s3c := s3.NewFromConfig(cfg, func(o *s3.Options) { o.UsePathStyle = true })
	ddb := dynamodb.NewFromConfig(cfg, func(o *dynamodb.Options) { o.BaseEndpoint = aws.String("http://127.0.0.1:8443/svc/dynamodb") })
	lam := lambda.NewFromConfig(cfg)
	ec2c := ec2.NewFromConfig(cfg)
	iamc := iam.NewFromConfig(cfg)
	stsc := sts.NewFromConfig(cfg)
	calls := []sdkCall{
		{"s3", "PutObject", "rest-xml", func(ctx context.Context) error {
			_, err := s3c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("bkt"), Key: aws.String("dir/a b.txt"),
				Body: strings.NewReader("hello"), Metadata: map[string]string{"owner": "ann"}})
			return err
		}, map[string]any{"Bucket": "bkt", "Key": "dir/a b.txt", "Metadata": map[string]any{"owner": "ann"}}},
		{"s3", "CopyObject", "rest-xml", func(ctx context.Context) error {
			_, err := s3c.CopyObject(ctx, &s3.CopyObjectInput{Bucket: aws.String("bkt"), Key: aws.String("dst"), CopySource: aws.String("src/obj")})
			return err
		}, map[string]any{"Bucket": "bkt", "Key": "dst", "CopySource": "src/obj"}},
		{"s3", "UploadPart", "rest-xml", func(ctx context.Context) error {
			_, err := s3c.UploadPart(ctx, &s3.UploadPartInput{Bucket: aws.String("bkt"), Key: aws.String("big"),
				PartNumber: aws.Int32(3), UploadId: aws.String("up-1"), Body: strings.NewReader("part")})
			return err
		}, map[string]any{"Bucket": "bkt", "Key": "big", "PartNumber": "3", "UploadId": "up-1"}},
		{"s3", "GetObject", "rest-xml", func(ctx context.Context) error {
			_, err := s3c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("bkt"), Key: aws.String("k/v.json"), Range: aws.String("bytes=0-9")})
			return err
		}, map[string]any{"Bucket": "bkt", "Key": "k/v.json", "Range": "bytes=0-9"}},
		{"s3", "DeleteObject", "rest-xml", func(ctx context.Context) error {
			_, err := s3c.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String("bkt"), Key: aws.String("k")})
			return err
		}, map[string]any{"Bucket": "bkt", "Key": "k"}},
		{"s3", "ListObjectsV2", "rest-xml", func(ctx context.Context) error {
			_, err := s3c.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String("bkt"), Prefix: aws.String("logs/")})
			return err
		}, map[string]any{"Bucket": "bkt", "Prefix": "logs/"}},
		{"s3", "DeleteBucket", "rest-xml", func(ctx context.Context) error {
			_, err := s3c.DeleteBucket(ctx, &s3.DeleteBucketInput{Bucket: aws.String("bkt")})
			return err
		}, map[string]any{"Bucket": "bkt"}},
		{"dynamodb", "PutItem", "json", func(ctx context.Context) error {
			_, err := ddb.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String("orders"),
				Item: map[string]ddbtypes.AttributeValue{"id": &ddbtypes.AttributeValueMemberS{Value: "1"}}})
			return err
		}, map[string]any{"TableName": "orders", "Item": map[string]any{"id": map[string]any{"S": "1"}}}},
		{"dynamodb", "DeleteTable", "json", func(ctx context.Context) error {
			_, err := ddb.DeleteTable(ctx, &dynamodb.DeleteTableInput{TableName: aws.String("orders")})
			return err
		}, map[string]any{"TableName": "orders"}},
		{"lambda", "Invoke", "rest-json", func(ctx context.Context) error {
			_, err := lam.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String("fn"), Payload: []byte(`{"a":1}`),
				InvocationType: lambdatypes.InvocationTypeEvent})
			return err
		}, map[string]any{"FunctionName": "fn", "InvocationType": "Event"}},
		{"lambda", "DeleteFunction", "rest-json", func(ctx context.Context) error {
			_, err := lam.DeleteFunction(ctx, &lambda.DeleteFunctionInput{FunctionName: aws.String("fn"), Qualifier: aws.String("3")})
			return err
		}, map[string]any{"FunctionName": "fn", "Qualifier": "3"}},
		{"ec2", "DescribeInstances", "ec2", func(ctx context.Context) error {
			_, err := ec2c.DescribeInstances(ctx, &ec2.DescribeInstancesInput{InstanceIds: []string{"i-1", "i-2"}})
			return err
		}, map[string]any{"InstanceId.1": "i-1", "InstanceId.2": "i-2"}},
		{"ec2", "TerminateInstances", "ec2", func(ctx context.Context) error {
			_, err := ec2c.TerminateInstances(ctx, &ec2.TerminateInstancesInput{InstanceIds: []string{"i-1"}})
			return err
		}, map[string]any{"InstanceId.1": "i-1"}},
		{"ec2", "RunInstances", "ec2", func(ctx context.Context) error {
			_, err := ec2c.RunInstances(ctx, &ec2.RunInstancesInput{ImageId: aws.String("ami-1"), MinCount: aws.Int32(1), MaxCount: aws.Int32(1),
				InstanceType: ec2types.InstanceTypeT3Micro})
			return err
		}, map[string]any{"ImageId": "ami-1", "MinCount": "1", "MaxCount": "1", "InstanceType": "t3.micro", "ClientToken": nil}},
		{"iam", "CreateAccessKey", "query", func(ctx context.Context) error {
			_, err := iamc.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String("bob")})
			return err
		}, map[string]any{"UserName": "bob"}},
		{"iam", "ListUsers", "query", func(ctx context.Context) error {
			_, err := iamc.ListUsers(ctx, &iam.ListUsersInput{PathPrefix: aws.String("/eng/")})
			return err
		}, map[string]any{"PathPrefix": "/eng/"}},
		{"sts", "AssumeRole", "query", func(ctx context.Context) error {
			_, err := stsc.AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String("arn:aws:iam::123456789012:role/r"), RoleSessionName: aws.String("agent")})
			return err
		}, map[string]any{"RoleArn": "arn:aws:iam::123456789012:role/r", "RoleSessionName": "agent"}},
	}
	out := make([]Entry, 0, len(calls))
	for _, sc := range calls {
		c.last = nil
		if err := sc.call(ctx); !errors.Is(err, errCaptured) {
			return nil, fmt.Errorf("difftest: %s %s: the client did not reach the HTTP client: %v", sc.service, sc.op, err)
		}
		if c.err != nil {
			return nil, fmt.Errorf("difftest: %s %s body: %w", sc.service, sc.op, c.err)
		}
		out = append(out, entryOf(c.last, c.body, sc))
	}
	return out, nil
}

func entryOf(r *http.Request, body []byte, sc sdkCall) Entry {
	target := r.URL.EscapedPath()
	if r.URL.RawQuery != "" {
		target += "?" + r.URL.RawQuery
	}
	h := map[string]string{}
	for k, vs := range r.Header {
		h[k] = strings.Join(vs, ",")
	}
	return Entry{Service: sc.service, Operation: sc.op, Protocol: sc.protocol, Method: r.Method,
		Target: target, Headers: h, Body: body, Expect: sc.expect}
}
