package awsmodel

// Requests captured from botocore (testdata/botocore/capture.py).

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"
)

type botocoreFixture struct {
	Method  string            `json:"method"`
	URL     string            `json:"url"`
	Headers map[string]string `json:"headers"`
	Body    string            `json:"body"` // base64
}

func loadFixture(t *testing.T, name string) (*http.Request, []byte) {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join("testdata", "botocore", name+".json"))
	if err != nil {
		t.Fatal(err)
	}
	var f botocoreFixture
	if err := json.Unmarshal(raw, &f); err != nil {
		t.Fatal(err)
	}
	body, err := base64.StdEncoding.DecodeString(f.Body)
	if err != nil {
		t.Fatal(err)
	}
	r := httptest.NewRequest(f.Method, f.URL, bytes.NewReader(body))
	for k, v := range f.Headers {
		r.Header.Set(k, v)
	}
	return r, body
}

func TestIdentifyBotocore(t *testing.T) {
	ix := mustLoad(t)
	tests := []struct {
		fixture  string
		service  string // Hint.Service from the /svc/ path, if the client used one
		wantSvc  string
		wantOp   string
		protocol string
		wantPath string
		params   map[string]any
	}{
		{"s3_putobject", "", "s3", "PutObject", "rest-xml", "/my-bucket/dir/hello%20world.txt",
			map[string]any{"Bucket": "my-bucket", "Key": "dir/hello world.txt", "Metadata": map[string]string{"owner": "ann"}, "ChecksumAlgorithm": "CRC32"}},
		{"s3_uploadpart", "", "s3", "UploadPart", "rest-xml", "/my-bucket/big.bin",
			map[string]any{"Bucket": "my-bucket", "Key": "big.bin", "PartNumber": "2", "UploadId": "up1"}},
		{"s3_listbuckets", "", "s3", "ListBuckets", "rest-xml", "/", nil},
		{"dynamodb_putitem", "dynamodb", "dynamodb", "PutItem", "json", "/",
			map[string]any{"TableName": "orders", "Item": map[string]any{"id": map[string]any{"S": "1"}}}},
		{"sqs_sendmessage", "", "sqs", "SendMessage", "json", "/",
			map[string]any{"QueueUrl": "https://sqs.us-west-2.amazonaws.com/123456789012/q", "MessageBody": "hi"}},
		{"cloudwatch_putmetricdata", "", "cloudwatch", "PutMetricData", "json", "/",
			map[string]any{"Namespace": "app"}},
		{"sts_assumerole", "", "sts", "AssumeRole", "query", "/",
			map[string]any{"RoleArn": "arn:aws:iam::123456789012:role/r", "RoleSessionName": "agent-1"}},
		{"s3_deleteobjects", "", "s3", "DeleteObjects", "rest-xml", "/my-bucket",
			map[string]any{"Bucket": "my-bucket", "Delete": map[string]any{"Quiet": "true", "Object": []any{
				map[string]any{"Key": "a.txt"}, map[string]any{"Key": "b & c.txt", "VersionId": "v1"}}}}},
		{"s3_completemultipartupload", "", "s3", "CompleteMultipartUpload", "rest-xml", "/my-bucket/big.bin",
			map[string]any{"UploadId": "up1", "MultipartUpload": map[string]any{"Part": []any{
				map[string]any{"ETag": `"e1"`, "PartNumber": "1"}, map[string]any{"ETag": `"e2"`, "PartNumber": "2"}}}}},
		{"s3_createbucket", "", "s3", "CreateBucket", "rest-xml", "/my-bucket",
			map[string]any{"CreateBucketConfiguration": map[string]any{"LocationConstraint": "us-west-2"}}},
		{"s3_copyobject", "", "s3", "CopyObject", "rest-xml", "/my-bucket/dst.txt",
			map[string]any{"CopySource": "src-bucket/src.txt", "Key": "dst.txt"}},
		{"s3_listobjectsv2", "", "s3", "ListObjectsV2", "rest-xml", "/my-bucket",
			map[string]any{"Prefix": "logs/", "Delimiter": "/", "EncodingType": "url"}},
	}
	for _, tt := range tests {
		t.Run(tt.fixture, func(t *testing.T) {
			r, body := loadFixture(t, tt.fixture)
			hint := scopeHint(t, r)
			if tt.service != "" {
				id, _, ok := SplitServicePath(r.URL.EscapedPath())
				if !ok || id != tt.service {
					t.Fatalf("SplitServicePath(%q) = %q, %v", r.URL.Path, id, ok)
				}
				hint.Service = id
			}
			op, err := ix.Identify(r, body, hint)
			if err != nil {
				t.Fatal(err)
			}
			if op.Service != tt.wantSvc || op.Name != tt.wantOp || op.Protocol != tt.protocol || op.Path != tt.wantPath {
				t.Errorf("got %s %s %s path %q, want %s %s %s path %q", op.Service, op.Name, op.Protocol, op.Path,
					tt.wantSvc, tt.wantOp, tt.protocol, tt.wantPath)
			}
			assertParams(t, op.Params, tt.params)
		})
	}
}
