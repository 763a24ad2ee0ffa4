package awsmodel

import "testing"

func TestSplitServicePath(t *testing.T) {
	tests := []struct {
		path, id, rest string
		ok             bool
	}{
		{"/svc/dynamodb", "dynamodb", "/", true},
		{"/svc/dynamodb/", "dynamodb", "/", true},
		{"/svc/s3/bucket/a%2Fb", "s3", "/bucket/a%2Fb", true},
		{"/svc/bedrock-runtime/model/x/invoke", "bedrock-runtime", "/model/x/invoke", true},
		{"/svc/", "", "", false},
		{"/svc//x", "", "", false},
		{"/svc/S3/x", "", "", false},
		{"/svc/a.b/x", "", "", false},
		{"/svcx/s3", "", "", false},
		{"/bucket/svc/s3", "", "", false},
		{"", "", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			id, rest, ok := SplitServicePath(tt.path)
			if id != tt.id || rest != tt.rest || ok != tt.ok {
				t.Errorf("SplitServicePath(%q) = %q, %q, %v; want %q, %q, %v", tt.path, id, rest, ok, tt.id, tt.rest, tt.ok)
			}
		})
	}
}
