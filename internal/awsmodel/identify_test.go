package awsmodel

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/fxamacker/cbor/v2"
)

// req builds a request; headers come as "Name: value" strings.
func req(method, target, body string, headers ...string) *http.Request {
	r := httptest.NewRequest(method, target, strings.NewReader(body))
	for _, h := range headers {
		k, v, _ := strings.Cut(h, ":")
		r.Header.Set(k, strings.TrimSpace(v))
	}
	return r
}

const form = "Content-Type: application/x-www-form-urlencoded; charset=utf-8"

func TestIdentify(t *testing.T) {
	ix := mustLoad(t)
	cborBody, err := cbor.Marshal(map[string]any{"Namespace": "app", "MetricName": "latency"})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name     string
		r        *http.Request
		hint     Hint
		service  string
		op       string
		protocol string
		path     string
		host     string
		params   map[string]any
		noParams []string // must be absent
	}{
		{name: "s3 ListObjectsV2 by literal query", r: req("GET", "/b?list-type=2&prefix=x", ""), hint: Hint{SigningName: "s3"},
			service: "s3", op: "ListObjectsV2", protocol: "rest-xml", params: map[string]any{"Bucket": "b", "Prefix": "x"}},
		{name: "s3 ListObjects without list-type", r: req("GET", "/b", ""), hint: Hint{SigningName: "s3"},
			service: "s3", op: "ListObjects", protocol: "rest-xml"},
		{name: "s3 GetBucketLocation", r: req("GET", "/b?location", ""), hint: Hint{SigningName: "s3"},
			service: "s3", op: "GetBucketLocation", protocol: "rest-xml"},
		{name: "s3 deprecated twin loses the tie", r: req("GET", "/b?lifecycle", ""), hint: Hint{SigningName: "s3"},
			service: "s3", op: "GetBucketLifecycleConfiguration", protocol: "rest-xml"},
		{name: "s3 CreateBucket with trailing slash", r: req("PUT", "/b/", ""), hint: Hint{SigningName: "s3"},
			service: "s3", op: "CreateBucket", protocol: "rest-xml", params: map[string]any{"Bucket": "b"}, noParams: []string{"Key"}},
		{name: "s3 PutObject folder key", r: req("PUT", "/b/dir/", ""), hint: Hint{SigningName: "s3"},
			service: "s3", op: "PutObject", protocol: "rest-xml", params: map[string]any{"Bucket": "b", "Key": "dir/"}},
		{name: "s3 PutObject escaped key", r: req("PUT", "/b/a%2Fb/c%20d", ""), hint: Hint{SigningName: "s3"},
			service: "s3", op: "PutObject", protocol: "rest-xml", path: "/b/a%2Fb/c%20d", params: map[string]any{"Key": "a/b/c d"}},
		{name: "s3 CopyObject by header", r: req("PUT", "/b/k", "", "X-Amz-Copy-Source: src/k"), hint: Hint{SigningName: "s3"},
			service: "s3", op: "CopyObject", protocol: "rest-xml", params: map[string]any{"CopySource": "src/k"}},
		{name: "s3 UploadPartCopy needs query and header", r: req("PUT", "/b/k?partNumber=1&uploadId=u", "", "X-Amz-Copy-Source: src/k"),
			hint: Hint{SigningName: "s3"}, service: "s3", op: "UploadPartCopy", protocol: "rest-xml"},
		{name: "s3 AbortMultipartUpload", r: req("DELETE", "/b/k?uploadId=u", ""), hint: Hint{SigningName: "s3"},
			service: "s3", op: "AbortMultipartUpload", protocol: "rest-xml", params: map[string]any{"UploadId": "u"}},
		{name: "s3 DeleteObjects list header", r: req("POST", "/b?delete", "<Delete/>"), hint: Hint{SigningName: "s3"},
			service: "s3", op: "DeleteObjects", protocol: "rest-xml"},
		{name: "s3 HeadBucket", r: req("HEAD", "/b", ""), hint: Hint{SigningName: "s3"},
			service: "s3", op: "HeadBucket", protocol: "rest-xml"},
		{name: "s3 presigned GetObject ignores signature params",
			r:    req("GET", "/b/k?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=a&X-Amz-Signature=s&X-Amz-Date=d&X-Amz-Expires=60&X-Amz-SignedHeaders=host", ""),
			hint: Hint{SigningName: "s3"}, service: "s3", op: "GetObject", protocol: "rest-xml", noParams: []string{"X-Amz-Signature"}},
		{name: "s3control wins with its account header", r: req("GET", "/v20180820/accesspoint", "", "X-Amz-Account-Id: 123456789012"),
			hint: Hint{SigningName: "s3"}, service: "s3control", op: "ListAccessPoints", protocol: "rest-xml", host: "123456789012."},
		{name: "same path without account header is an S3 object", r: req("GET", "/v20180820/accesspoint", ""),
			hint: Hint{SigningName: "s3"}, service: "s3", op: "GetObject", protocol: "rest-xml", params: map[string]any{"Bucket": "v20180820"}},
		{name: "per-service path is stripped", r: req("PUT", "/svc/s3/b/k", ""), hint: Hint{Service: "s3", SigningName: "s3"},
			service: "s3", op: "PutObject", protocol: "rest-xml", path: "/b/k", params: map[string]any{"Bucket": "b", "Key": "k"}},
		{name: "svc path is a bucket without the hint", r: req("PUT", "/svc/s3/b/k", ""), hint: Hint{SigningName: "s3"},
			service: "s3", op: "PutObject", protocol: "rest-xml", path: "/svc/s3/b/k", params: map[string]any{"Bucket": "svc", "Key": "s3/b/k"}},
		{name: "lambda GetFunction label", r: req("GET", "/2015-03-31/functions/my-fn?Qualifier=1", ""), hint: Hint{SigningName: "lambda"},
			service: "lambda", op: "GetFunction", protocol: "rest-json", params: map[string]any{"FunctionName": "my-fn", "Qualifier": "1"}},
		{name: "cloudwatch CBOR", r: req("POST", "/service/GraniteServiceVersion20100801/operation/ListMetrics", string(cborBody),
			"Smithy-Protocol: rpc-v2-cbor", "Content-Type: application/cbor"), hint: Hint{SigningName: "monitoring"},
			service: "cloudwatch", op: "ListMetrics", protocol: "smithy-rpc-v2-cbor", params: map[string]any{"Namespace": "app"}},
		{name: "cloudwatch query", r: req("POST", "/", "Action=ListMetrics&Version=2010-08-01&Namespace=app", form),
			hint: Hint{SigningName: "monitoring"}, service: "cloudwatch", op: "ListMetrics", protocol: "query",
			params: map[string]any{"Namespace": "app"}, noParams: []string{"Action", "Version"}},
		{name: "cloudwatch json", r: req("POST", "/", `{"Namespace":"app"}`, "X-Amz-Target: GraniteServiceVersion20100801.ListMetrics"),
			hint: Hint{SigningName: "monitoring"}, service: "cloudwatch", op: "ListMetrics", protocol: "json"},
		{name: "sqs query from an old client", r: req("POST", "/", "Action=SendMessage&QueueUrl=q&MessageBody=hi&MessageAttribute.1.Name=a", form),
			hint: Hint{SigningName: "sqs"}, service: "sqs", op: "SendMessage", protocol: "query",
			params: map[string]any{"QueueUrl": "q", "MessageAttribute.1.Name": "a"}},
		{name: "iam query in the URL", r: req("GET", "/?Action=ListUsers&Version=2010-05-08&PathPrefix=%2Feng%2F", ""),
			hint: Hint{SigningName: "iam"}, service: "iam", op: "ListUsers", protocol: "query", params: map[string]any{"PathPrefix": "/eng/"}},
		{name: "rds collision settled by service path", r: req("POST", "/svc/docdb/", "Action=DescribeDBClusters&Version=2014-10-31", form),
			hint: Hint{Service: "docdb", SigningName: "rds"}, service: "docdb", op: "DescribeDBClusters", protocol: "query", path: "/"},
		{name: "no hint: JSON target prefix is enough", r: req("POST", "/", `{}`, "X-Amz-Target: DynamoDB_20120810.ListTables"),
			service: "dynamodb", op: "ListTables", protocol: "json"},
		{name: "rds-only action with shared signing name", r: req("POST", "/", "Action=CreateDBProxy&Version=2014-10-31", form),
			hint: Hint{SigningName: "rds"}, service: "rds", op: "CreateDBProxy", protocol: "query"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			body := readBody(t, tt.r)
			op, err := ix.Identify(tt.r, body, tt.hint)
			if err != nil {
				t.Fatal(err)
			}
			if op.Service != tt.service || op.Name != tt.op || op.Protocol != tt.protocol {
				t.Errorf("got %s %s %s, want %s %s %s", op.Service, op.Name, op.Protocol, tt.service, tt.op, tt.protocol)
			}
			if tt.path != "" && op.Path != tt.path {
				t.Errorf("Path = %q, want %q", op.Path, tt.path)
			}
			if op.HostPrefix != tt.host {
				t.Errorf("HostPrefix = %q, want %q", op.HostPrefix, tt.host)
			}
			assertParams(t, op.Params, tt.params)
			for _, k := range tt.noParams {
				if _, ok := op.Params[k]; ok {
					t.Errorf("param %s should be absent", k)
				}
			}
		})
	}
}

func TestIdentifyErrors(t *testing.T) {
	ix := mustLoad(t)
	tests := []struct {
		name    string
		r       *http.Request
		hint    Hint
		want    error
		mention string // the message must say what was looked at
	}{
		{"unknown signing name", req("POST", "/", "{}", "X-Amz-Target: X.Y"), Hint{SigningName: "nope"}, ErrUnknownService, `"nope"`},
		{"unknown service path", req("GET", "/svc/nope/x", ""), Hint{Service: "nope"}, ErrUnknownService, `"nope"`},
		{"service path disagrees with signature", req("POST", "/svc/dynamodb/", "{}", "X-Amz-Target: DynamoDB_20120810.ListTables"),
			Hint{Service: "dynamodb", SigningName: "s3"}, ErrUnknownService, "dynamodb"},
		{"target prefix of another service", req("POST", "/", "{}", "X-Amz-Target: AmazonSQS.SendMessage"),
			Hint{SigningName: "dynamodb"}, ErrUnknownService, "AmazonSQS"},
		{"unknown JSON operation", req("POST", "/", "{}", "X-Amz-Target: DynamoDB_20120810.DropEverything"),
			Hint{SigningName: "dynamodb"}, ErrUnknownOperation, "DropEverything"},
		{"malformed target", req("POST", "/", "{}", "X-Amz-Target: nodot"), Hint{SigningName: "dynamodb"}, ErrUnknownOperation, "nodot"},
		{"unknown query action", req("POST", "/", "Action=Explode&Version=2010-05-08", form), Hint{SigningName: "iam"}, ErrUnknownOperation, "Explode"},
		{"x-id names another operation", req("PUT", "/b/k?x-id=GetObject", ""), Hint{SigningName: "s3"}, ErrAmbiguousRequest, "x-id=GetObject"},
		{"no REST route", req("PATCH", "/b/k", ""), Hint{SigningName: "s3"}, ErrUnknownOperation, "PATCH"},
		{"JSON service without target", req("POST", "/", "{}"), Hint{SigningName: "dynamodb"}, ErrUnknownOperation, "dynamodb"},
		{"shared signing name, shared action", req("POST", "/", "Action=DescribeDBClusters&Version=2014-10-31", form),
			Hint{SigningName: "rds"}, ErrAmbiguousOperation, "/svc/"},
		{"shared JSON target prefix", req("POST", "/", "{}", "X-Amz-Target: Timestream_20181101.DescribeEndpoints"),
			Hint{SigningName: "timestream"}, ErrAmbiguousOperation, "timestream-query"},
		{"bad JSON body", req("POST", "/", "{not json", "X-Amz-Target: DynamoDB_20120810.ListTables"),
			Hint{SigningName: "dynamodb"}, ErrMalformedRequest, "JSON"},
		{"bad CBOR body", req("POST", "/service/GraniteServiceVersion20100801/operation/ListMetrics", "\xff\xff", "Smithy-Protocol: rpc-v2-cbor"),
			Hint{SigningName: "monitoring"}, ErrMalformedRequest, "CBOR"},
		{"bad CBOR path", req("POST", "/service/GraniteServiceVersion20100801/ListMetrics", "", "Smithy-Protocol: rpc-v2-cbor"),
			Hint{SigningName: "monitoring"}, ErrUnknownOperation, "/service/"},
		{"host prefix label must be a DNS label", req("GET", "/v20180820/accesspoint", "", "X-Amz-Account-Id: evil.example.com"),
			Hint{SigningName: "s3"}, ErrMalformedRequest, "AccountId"},
		{"bad rest-json body", req("POST", "/2015-03-31/functions", "[1,2]"), Hint{SigningName: "lambda"}, ErrMalformedRequest, "CreateFunction"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			body := readBody(t, tt.r)
			op, err := ix.Identify(tt.r, body, tt.hint)
			if !errors.Is(err, tt.want) {
				t.Fatalf("err = %v (op %+v), want %v", err, op, tt.want)
			}
			if !strings.Contains(err.Error(), tt.mention) {
				t.Errorf("error %q does not mention %q", err, tt.mention)
			}
		})
	}
}
