package awsemu

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/feature/s3/manager"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"
)

var gatewayCreds = aws.Credentials{AccessKeyID: "AKIAGATEWAY000000001", SecretAccessKey: "gateway-secret-key-for-tests"}

func start(t *testing.T) *Emulator {
	t.Helper()
	e, err := Start(gatewayCreds, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(e.Close)
	return e
}

func sdkConfig(e *Emulator, creds aws.Credentials) aws.Config {
	return aws.Config{
		Region:       "us-east-1",
		Credentials:  credentials.StaticCredentialsProvider{Value: creds},
		BaseEndpoint: aws.String(e.URL),
		HTTPClient:   &http.Client{},
	}
}

// TestServicesThroughProxy runs real SDK clients, signed with the gateway's
// credentials, through the proxy into kumo.
func TestServicesThroughProxy(t *testing.T) {
	e := start(t)
	cfg := sdkConfig(e, gatewayCreds)
	s3c := s3.NewFromConfig(cfg, func(o *s3.Options) { o.UsePathStyle = true })
	ddb := dynamodb.NewFromConfig(cfg)
	stsc := sts.NewFromConfig(cfg)
	iamc := iam.NewFromConfig(cfg)
	ec2c := ec2.NewFromConfig(cfg)
	lam := lambda.NewFromConfig(cfg)
	// kumo keeps its state per process, shared by every Emulator: names
	// must be unique per run.
	bucket, table := fmt.Sprintf("probe-%d", time.Now().UnixNano()), fmt.Sprintf("t-%d", time.Now().UnixNano())
	big := make([]byte, 11<<20) // > 2 parts of 5 MiB
	if _, err := rand.Read(big); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name        string
		signingName string
		kumoLacks   bool // verified by the proxy, but kumo has no such operation
		call        func(ctx context.Context) error
	}{
		{"s3 CreateBucket", "s3", false, func(ctx context.Context) error {
			_, err := s3c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(bucket)})
			return err
		}},
		{"s3 ListBuckets", "s3", false, func(ctx context.Context) error {
			out, err := s3c.ListBuckets(ctx, &s3.ListBucketsInput{})
			if err == nil && !slices.ContainsFunc(out.Buckets, func(b s3types.Bucket) bool { return aws.ToString(b.Name) == bucket }) {
				err = errors.New("bucket not listed")
			}
			return err
		}},
		{"s3 PutObject and GetObject", "s3", false, func(ctx context.Context) error {
			if _, err := s3c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String("a/b c.txt"), Body: strings.NewReader("hello")}); err != nil {
				return err
			}
			out, err := s3c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String("a/b c.txt")})
			if err != nil {
				return err
			}
			defer out.Body.Close()
			b, _ := io.ReadAll(out.Body)
			if string(b) != "hello" {
				return errors.New("object body differs")
			}
			return nil
		}},
		{"s3 ListObjectsV2", "s3", false, func(ctx context.Context) error {
			out, err := s3c.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String(bucket)})
			if err == nil && len(out.Contents) != 1 {
				err = errors.New("object not listed")
			}
			return err
		}},
		{"s3 multipart upload", "s3", false, func(ctx context.Context) error {
			up := manager.NewUploader(s3c, func(u *manager.Uploader) { u.PartSize = 5 << 20 })
			if _, err := up.Upload(ctx, &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String("big"), Body: bytes.NewReader(big)}); err != nil {
				return err
			}
			out, err := s3c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String("big")})
			if err != nil {
				return err
			}
			defer out.Body.Close()
			b, _ := io.ReadAll(out.Body)
			if !bytes.Equal(b, big) {
				return errors.New("multipart object differs")
			}
			return nil
		}},
		{"dynamodb CreateTable", "dynamodb", false, func(ctx context.Context) error {
			_, err := ddb.CreateTable(ctx, &dynamodb.CreateTableInput{
				TableName:            aws.String(table),
				AttributeDefinitions: []ddbtypes.AttributeDefinition{{AttributeName: aws.String("pk"), AttributeType: ddbtypes.ScalarAttributeTypeS}},
				KeySchema:            []ddbtypes.KeySchemaElement{{AttributeName: aws.String("pk"), KeyType: ddbtypes.KeyTypeHash}},
				BillingMode:          ddbtypes.BillingModePayPerRequest,
			})
			return err
		}},
		{"dynamodb ListTables", "dynamodb", false, func(ctx context.Context) error {
			out, err := ddb.ListTables(ctx, &dynamodb.ListTablesInput{})
			if err == nil && !slices.Contains(out.TableNames, table) {
				err = errors.New("table not listed")
			}
			return err
		}},
		{"sts GetCallerIdentity", "sts", false, func(ctx context.Context) error {
			_, err := stsc.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
			return err
		}},
		{"sts AssumeRole", "sts", false, func(ctx context.Context) error {
			out, err := stsc.AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String("arn:aws:iam::123456789012:role/target"), RoleSessionName: aws.String(bucket)})
			if err == nil && (out.Credentials == nil || aws.ToString(out.Credentials.AccessKeyId) == "") {
				err = errors.New("no credentials in AssumeRole answer")
			}
			return err
		}},
		{"iam ListUsers", "iam", false, func(ctx context.Context) error {
			_, err := iamc.ListUsers(ctx, &iam.ListUsersInput{})
			return err
		}},
		{"ec2 DescribeInstances", "ec2", false, func(ctx context.Context) error {
			_, err := ec2c.DescribeInstances(ctx, &ec2.DescribeInstancesInput{})
			return err
		}},
		{"ec2 DescribeRegions", "ec2", true, func(ctx context.Context) error {
			_, err := ec2c.DescribeRegions(ctx, &ec2.DescribeRegionsInput{})
			return err
		}},
		{"lambda ListFunctions", "lambda", false, func(ctx context.Context) error {
			_, err := lam.ListFunctions(ctx, &lambda.ListFunctionsInput{})
			return err
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			before := len(e.Requests())
			err := c.call(context.Background())
			switch {
			case c.kumoLacks && err == nil:
				t.Fatalf("%s now works in kumo: drop kumoLacks", c.name)
			case !c.kumoLacks && err != nil:
				t.Fatalf("%s through the proxy: %v", c.name, err)
			}
			seen := e.Requests()[before:]
			if len(seen) == 0 {
				t.Fatal("no verified request recorded")
			}
			for _, s := range seen {
				if s.SigningName != c.signingName || s.AccessKeyID != gatewayCreds.AccessKeyID {
					t.Errorf("recorded %s %s signed as %s/%s by %s", s.Method, s.Path, s.SigningName, s.Region, s.AccessKeyID)
				}
			}
		})
	}
}
