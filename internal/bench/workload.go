package bench

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sts"
)

// Op is one kind of call the load generator makes. All are small and all
// are allowed by policies/dev.yaml for group "sandbox" (none has the
// delete, permissions or credentials effect).
type Op int

// The calls, made in this order, round robin.
const (
	OpGetItem Op = iota
	OpPutItem
	OpGetObject
	OpPutObject
	OpGetCallerIdentity
	numOps
)

var opNames = [numOps]string{"dynamodb:GetItem", "dynamodb:PutItem", "s3:GetObject", "s3:PutObject", "sts:GetCallerIdentity"}

func (o Op) String() string { return opNames[o] }

// region is the region every client signs for.
const region = "us-east-1"

// benchTable and benchBucket are the names the calls use; the canned
// upstream answers any.
const (
	benchTable  = "bench"
	benchBucket = "bench"
)

// putBody is the body of every PutObject: 1 KiB, like the canned object.
var putBody = bytes.Repeat([]byte("jitgate-bench-01"), 64)

// Agent is one principal's way in: an endpoint and the credentials to sign
// with.
type Agent struct {
	Endpoint string
	Creds    aws.Credentials
}

// clients are the SDK clients of one agent.
type clients struct {
	ddb *dynamodb.Client
	s3  *s3.Client
	sts *sts.Client
}

// newHTTPClient returns the HTTP client every SDK client of a target
// shares: keep-alive with enough idle connections for the largest
// concurrency, so no target pays for reconnecting.
func newHTTPClient() *awshttp.BuildableClient {
	return awshttp.NewBuildableClient().WithTimeout(30 * time.Second).WithTransportOptions(func(t *http.Transport) {
		t.MaxIdleConns = 1024
		t.MaxIdleConnsPerHost = 512
		t.MaxConnsPerHost = 0
	})
}

// newClients builds the SDK clients of agent a. Retries are off so every
// latency is one attempt and every error is counted, never hidden.
func newClients(a Agent, hc *awshttp.BuildableClient) clients {
	creds := aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) { return a.Creds, nil })
	cfg := aws.Config{
		Region:       region,
		Credentials:  aws.NewCredentialsCache(creds),
		HTTPClient:   hc,
		Retryer:      func() aws.Retryer { return aws.NopRetryer{} },
		BaseEndpoint: aws.String(a.Endpoint),
		// What config.LoadDefaultConfig sets, as agents load it: a CRC32
		// on every upload, and S3 checksums validated on download.
		RequestChecksumCalculation: aws.RequestChecksumCalculationWhenSupported,
		ResponseChecksumValidation: aws.ResponseChecksumValidationWhenSupported,
	}
	return clients{
		ddb: dynamodb.NewFromConfig(cfg),
		s3:  s3.NewFromConfig(cfg, func(o *s3.Options) { o.UsePathStyle = true }),
		sts: sts.NewFromConfig(cfg),
	}
}

// do makes call op once and reads its whole answer.
func (c clients) do(ctx context.Context, op Op, seq int64) error {
	var err error
	switch op {
	case OpGetItem:
		_, err = c.ddb.GetItem(ctx, &dynamodb.GetItemInput{
			TableName: aws.String(benchTable),
			Key:       map[string]ddbtypes.AttributeValue{"pk": &ddbtypes.AttributeValueMemberS{Value: "bench"}},
		})
	case OpPutItem:
		_, err = c.ddb.PutItem(ctx, &dynamodb.PutItemInput{
			TableName: aws.String(benchTable),
			Item: map[string]ddbtypes.AttributeValue{
				"pk": &ddbtypes.AttributeValueMemberS{Value: fmt.Sprintf("k%d", seq)},
				"n":  &ddbtypes.AttributeValueMemberN{Value: "42"},
			},
		})
	case OpGetObject:
		var out *s3.GetObjectOutput
		out, err = c.s3.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(benchBucket), Key: aws.String("object")})
		if err == nil {
			_, err = io.Copy(io.Discard, out.Body)
			out.Body.Close()
		}
	case OpPutObject:
		_, err = c.s3.PutObject(ctx, &s3.PutObjectInput{
			Bucket: aws.String(benchBucket), Key: aws.String(fmt.Sprintf("put/%d", seq)),
			Body: bytes.NewReader(putBody), ContentLength: aws.Int64(int64(len(putBody))),
		})
	case OpGetCallerIdentity:
		_, err = c.sts.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	default:
		err = fmt.Errorf("unknown op %d", op)
	}
	if err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	return nil
}
