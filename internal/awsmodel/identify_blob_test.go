package awsmodel

import (
	"net/http"
	"net/http/httptest"
	"testing"
)

// Only an operation whose body is a blob payload nobody parses, in a
// service no query-protocol candidate shares, may stream: it reads the
// same with and without its body.
func TestBlobPayload(t *testing.T) {
	ix := mustLoad(t)
	tests := []struct {
		name, method, target, signing string
		headers                       map[string]string
		want                          bool
	}{
		{name: "s3 PutObject", method: "PUT", target: "/bucket/key", signing: "s3", want: true},
		{name: "s3 UploadPart", method: "PUT", target: "/bucket/key?partNumber=1&uploadId=u", signing: "s3", want: true},
		{name: "s3 DeleteObjects parses its XML body", method: "POST", target: "/bucket?delete", signing: "s3"},
		{name: "s3 GetObject has no payload", method: "GET", target: "/bucket/key", signing: "s3"},
		{name: "dynamodb json", method: "POST", target: "/", signing: "dynamodb",
			headers: map[string]string{"X-Amz-Target": "DynamoDB_20120810.PutItem", "Content-Type": "application/x-amz-json-1.0"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest(tt.method, "http://gw.test"+tt.target, http.NoBody)
			for k, v := range tt.headers {
				r.Header.Set(k, v)
			}
			op, err := ix.Identify(r, nil, Hint{SigningName: tt.signing, Region: "eu-west-1"})
			if err != nil {
				t.Fatal(err)
			}
			if op.BlobPayload != tt.want {
				t.Fatalf("%s.%s: BlobPayload %v, want %v", op.Service, op.Name, op.BlobPayload, tt.want)
			}
		})
	}
}
