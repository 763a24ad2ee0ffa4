package awsmodel

// Requests built and signed by aws-sdk-go-v2 clients, sent to a capturing
// server on 127.0.0.1, then identified.

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	lambdatypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"
)

// captured is one request as the server saw it.
type captured struct {
	req  *http.Request
	body []byte
}

// captureServer records the first request of each call and answers 200 with
// a small body; clients may fail to parse it, which the tests ignore.
type captureServer struct {
	*httptest.Server
	mu   sync.Mutex
	reqs []captured
}

func newCaptureServer(t *testing.T) *captureServer {
	t.Helper()
	cs := &captureServer{}
	cs.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		cs.mu.Lock()
		cs.reqs = append(cs.reqs, captured{req: r.Clone(context.Background()), body: body})
		cs.mu.Unlock()
		switch {
		case r.Header.Get("X-Amz-Target") != "" || strings.HasPrefix(r.URL.Path, "/2015-03-31"):
			w.Header().Set("Content-Type", "application/x-amz-json-1.0")
			_, _ = w.Write([]byte("{}"))
		default:
			w.Header().Set("Content-Type", "text/xml")
			_, _ = w.Write([]byte("<Response></Response>"))
		}
	}))
	t.Cleanup(cs.Close)
	return cs
}

func (cs *captureServer) take(t *testing.T) captured {
	t.Helper()
	cs.mu.Lock()
	defer cs.mu.Unlock()
	if len(cs.reqs) == 0 {
		t.Fatal("client sent no request")
	}
	c := cs.reqs[0]
	cs.reqs = nil
	return c
}

// scopeHint reads the signing name, region and signed headers from the SigV4
// Authorization header, as the ingress does, so that the SDKs' requests are
// identified with the signed-header rule in force.
func scopeHint(t *testing.T, r *http.Request) Hint {
	t.Helper()
	auth := r.Header.Get("Authorization")
	_, cred, ok := strings.Cut(auth, "Credential=")
	if !ok {
		t.Fatalf("no SigV4 credential in Authorization header")
	}
	cred, _, _ = strings.Cut(cred, ",")
	parts := strings.Split(cred, "/")
	if len(parts) != 5 {
		t.Fatalf("credential scope has %d parts", len(parts))
	}
	h := Hint{SigningName: parts[3], Region: parts[2], SignedHeaders: []string{}}
	if _, sh, ok := strings.Cut(auth, "SignedHeaders="); ok {
		sh, _, _ = strings.Cut(sh, ",")
		h.SignedHeaders = strings.Split(strings.TrimSpace(sh), ";")
	}
	return h
}

func TestIdentifyGoSDK(t *testing.T) {
	ix := mustLoad(t)
	cs := newCaptureServer(t)
	cfg := aws.Config{
		Region:           "us-west-2",
		Credentials:      credentials.NewStaticCredentialsProvider("AKIDEXAMPLE", "not-a-secret", "token"),
		BaseEndpoint:     aws.String(cs.URL),
		RetryMaxAttempts: 1,
	}
	s3c := s3.NewFromConfig(cfg, func(o *s3.Options) { o.UsePathStyle = true })
	ddb := dynamodb.NewFromConfig(cfg)
	lam := lambda.NewFromConfig(cfg)
	ec2c := ec2.NewFromConfig(cfg)
	iamc := iam.NewFromConfig(cfg)
	stsc := sts.NewFromConfig(cfg)

	tests := []struct {
		name     string
		call     func(context.Context) error
		service  string
		op       string
		protocol string
		readOnly bool
		params   map[string]any // must be present with these values
	}{
		{"s3 PutObject", func(ctx context.Context) error {
			_, err := s3c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("bkt"), Key: aws.String("dir/a b.txt"),
				Body: strings.NewReader("hello"), Metadata: map[string]string{"owner": "ann"}})
			return err
		}, "s3", "PutObject", "rest-xml", false, map[string]any{"Bucket": "bkt", "Key": "dir/a b.txt", "Metadata": map[string]string{"owner": "ann"}}},
		{"s3 UploadPart", func(ctx context.Context) error {
			_, err := s3c.UploadPart(ctx, &s3.UploadPartInput{Bucket: aws.String("bkt"), Key: aws.String("big"),
				PartNumber: aws.Int32(3), UploadId: aws.String("up-1"), Body: strings.NewReader("part")})
			return err
		}, "s3", "UploadPart", "rest-xml", false, map[string]any{"Bucket": "bkt", "Key": "big", "PartNumber": "3", "UploadId": "up-1"}},
		{"s3 CopyObject", func(ctx context.Context) error {
			_, err := s3c.CopyObject(ctx, &s3.CopyObjectInput{Bucket: aws.String("bkt"), Key: aws.String("dst"), CopySource: aws.String("src/obj")})
			return err
		}, "s3", "CopyObject", "rest-xml", false, map[string]any{"Bucket": "bkt", "Key": "dst", "CopySource": "src/obj"}},
		{"s3 CreateMultipartUpload", func(ctx context.Context) error {
			_, err := s3c.CreateMultipartUpload(ctx, &s3.CreateMultipartUploadInput{Bucket: aws.String("bkt"), Key: aws.String("big")})
			return err
		}, "s3", "CreateMultipartUpload", "rest-xml", false, map[string]any{"Bucket": "bkt", "Key": "big"}},
		{"s3 DeleteObjects", func(ctx context.Context) error {
			_, err := s3c.DeleteObjects(ctx, &s3.DeleteObjectsInput{Bucket: aws.String("bkt"), Delete: &s3types.Delete{
				Objects: []s3types.ObjectIdentifier{{Key: aws.String("a")}, {Key: aws.String("b")}}}})
			return err
		}, "s3", "DeleteObjects", "rest-xml", false, map[string]any{"Bucket": "bkt", "Delete": map[string]any{
			"Object": []any{map[string]any{"Key": "a"}, map[string]any{"Key": "b"}}}}},
		{"s3 ListBuckets", func(ctx context.Context) error {
			_, err := s3c.ListBuckets(ctx, &s3.ListBucketsInput{})
			return err
		}, "s3", "ListBuckets", "rest-xml", true, nil},
		{"s3 GetObject", func(ctx context.Context) error {
			_, err := s3c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("bkt"), Key: aws.String("k/v.json"), Range: aws.String("bytes=0-9")})
			return err
		}, "s3", "GetObject", "rest-xml", true, map[string]any{"Bucket": "bkt", "Key": "k/v.json", "Range": "bytes=0-9"}},
		{"s3 DeleteBucket", func(ctx context.Context) error {
			_, err := s3c.DeleteBucket(ctx, &s3.DeleteBucketInput{Bucket: aws.String("bkt")})
			return err
		}, "s3", "DeleteBucket", "rest-xml", false, map[string]any{"Bucket": "bkt"}},
		{"s3 CreateBucket", func(ctx context.Context) error {
			_, err := s3c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("bkt")})
			return err
		}, "s3", "CreateBucket", "rest-xml", false, map[string]any{"Bucket": "bkt"}},
		{"s3 ListObjectsV2", func(ctx context.Context) error {
			_, err := s3c.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String("bkt"), Prefix: aws.String("logs/")})
			return err
		}, "s3", "ListObjectsV2", "rest-xml", true, map[string]any{"Bucket": "bkt", "Prefix": "logs/"}},
		{"dynamodb ListTables", func(ctx context.Context) error {
			_, err := ddb.ListTables(ctx, &dynamodb.ListTablesInput{Limit: aws.Int32(5)})
			return err
		}, "dynamodb", "ListTables", "json", true, map[string]any{"Limit": float64(5)}},
		{"dynamodb PutItem", func(ctx context.Context) error {
			_, err := ddb.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String("orders"),
				Item: map[string]ddbtypes.AttributeValue{"id": &ddbtypes.AttributeValueMemberS{Value: "1"}}})
			return err
		}, "dynamodb", "PutItem", "json", false, map[string]any{"TableName": "orders", "Item": map[string]any{"id": map[string]any{"S": "1"}}}},
		{"lambda Invoke", func(ctx context.Context) error {
			_, err := lam.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String("fn"), Payload: []byte(`{"a":1}`),
				InvocationType: lambdatypes.InvocationTypeEvent})
			return err
		}, "lambda", "Invoke", "rest-json", false, map[string]any{"FunctionName": "fn", "InvocationType": "Event"}},
		{"lambda ListFunctions", func(ctx context.Context) error {
			_, err := lam.ListFunctions(ctx, &lambda.ListFunctionsInput{MaxItems: aws.Int32(10)})
			return err
		}, "lambda", "ListFunctions", "rest-json", true, map[string]any{"MaxItems": "10"}},
		{"lambda CreateFunction", func(ctx context.Context) error {
			_, err := lam.CreateFunction(ctx, &lambda.CreateFunctionInput{FunctionName: aws.String("fn"),
				Role: aws.String("arn:aws:iam::123456789012:role/r"), Runtime: lambdatypes.RuntimePython312,
				Handler: aws.String("app.h"), Code: &lambdatypes.FunctionCode{ZipFile: []byte("zip")}})
			return err
		}, "lambda", "CreateFunction", "rest-json", false, map[string]any{"FunctionName": "fn", "Runtime": "python3.12", "Role": "arn:aws:iam::123456789012:role/r"}},
		{"ec2 DescribeInstances", func(ctx context.Context) error {
			_, err := ec2c.DescribeInstances(ctx, &ec2.DescribeInstancesInput{InstanceIds: []string{"i-1", "i-2"}})
			return err
		}, "ec2", "DescribeInstances", "ec2", true, map[string]any{"InstanceId.1": "i-1", "InstanceId.2": "i-2"}},
		{"iam ListUsers", func(ctx context.Context) error {
			_, err := iamc.ListUsers(ctx, &iam.ListUsersInput{PathPrefix: aws.String("/eng/")})
			return err
		}, "iam", "ListUsers", "query", true, map[string]any{"PathPrefix": "/eng/"}},
		{"sts GetCallerIdentity", func(ctx context.Context) error {
			_, err := stsc.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
			return err
		}, "sts", "GetCallerIdentity", "query", true, nil},
		{"sts AssumeRole", func(ctx context.Context) error {
			_, err := stsc.AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String("arn:aws:iam::123456789012:role/r"),
				RoleSessionName: aws.String("agent")})
			return err
		}, "sts", "AssumeRole", "query", false, map[string]any{"RoleArn": "arn:aws:iam::123456789012:role/r", "RoleSessionName": "agent"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_ = tt.call(t.Context()) // canned responses need not parse
			c := cs.take(t)
			hint := scopeHint(t, c.req)
			t.Logf("%s %s (%d body bytes)", c.req.Method, c.req.URL, len(c.body))
			op, err := ix.Identify(c.req, c.body, hint)
			if err != nil {
				t.Fatalf("Identify(%s %s): %v", c.req.Method, c.req.URL, err)
			}
			if op.Service != tt.service || op.Name != tt.op || op.Protocol != tt.protocol || op.ReadOnly != tt.readOnly {
				t.Errorf("got %s %s %s readOnly=%v, want %s %s %s readOnly=%v",
					op.Service, op.Name, op.Protocol, op.ReadOnly, tt.service, tt.op, tt.protocol, tt.readOnly)
			}
			if op.SigningName != hint.SigningName {
				t.Errorf("SigningName = %q, want %q", op.SigningName, hint.SigningName)
			}
			assertParams(t, op.Params, tt.params)
		})
	}
}

func assertParams(t *testing.T, got, want map[string]any) {
	t.Helper()
	for k, w := range want {
		g, ok := got[k]
		if !ok {
			t.Errorf("param %s missing; have %v", k, keys(got))
			continue
		}
		if !reflect.DeepEqual(g, w) {
			t.Errorf("param %s = %#v, want %#v", k, g, w)
		}
	}
}

func keys(m map[string]any) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	return out
}

// readBody is a helper for tests that build requests by hand.
func readBody(t *testing.T, r *http.Request) []byte {
	t.Helper()
	if r.Body == nil {
		return nil
	}
	b, err := io.ReadAll(r.Body)
	if err != nil {
		t.Fatal(err)
	}
	r.Body = io.NopCloser(bytes.NewReader(b))
	return b
}
