package ingress

import (
	"encoding/json"
	"testing"

	"github.com/jitgate/jitgate/internal/awsmodel"
)

func TestMaskParams(t *testing.T) {
	ix, err := awsmodel.Load()
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, service, op, params, want string
	}{
		{"sse-c keys", "s3", "CopyObject",
			`{"Bucket":"b","Key":"k","SSECustomerKey":"c2VjcmV0","CopySourceSSECustomerKey":"b3RoZXI=","SSECustomerAlgorithm":"AES256"}`,
			`{"Bucket":"b","CopySourceSSECustomerKey":"*** (sensitive)","Key":"k","SSECustomerAlgorithm":"AES256","SSECustomerKey":"*** (sensitive)"}`},
		{"s3 mfa header (hand list)", "s3", "DeleteObjects", `{"Bucket":"b","MFA":"arn:aws:iam::1:mfa/x 123456"}`,
			`{"Bucket":"b","MFA":"*** (sensitive)"}`},
		{"sts mfa code (hand list)", "sts", "GetSessionToken", `{"SerialNumber":"arn:aws:iam::1:mfa/x","TokenCode":"123456"}`,
			`{"SerialNumber":"arn:aws:iam::1:mfa/x","TokenCode":"*** (sensitive)"}`},
		{"sensitive trait, nested and other case", "secretsmanager", "PutSecretValue",
			`{"SecretId":"s","secretstring":"hunter2","Nested":[{"SecretBinary":"eA=="}]}`,
			`{"Nested":[{"SecretBinary":"*** (sensitive)"}],"SecretId":"s","secretstring":"*** (sensitive)"}`},
		{"query protocol flattened name", "rds", "CreateDBInstance", `{"DBInstanceIdentifier":"db","MasterUserPassword":"pw","Foo.member.1.MasterUserPassword":"pw"}`,
			`{"DBInstanceIdentifier":"db","Foo.member.1.MasterUserPassword":"*** (sensitive)","MasterUserPassword":"*** (sensitive)"}`},
		{"numbers keep their form", "dynamodb", "PutItem", `{"TableName":"t","Limit":12345678901234567890}`,
			`{"Limit":12345678901234567890,"TableName":"t"}`},
		{"unreadable parameters are withheld", "s3", "GetObject", `{"Bucket":`, ``},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := maskParams(ix, tt.service, tt.op, json.RawMessage(tt.params))
			if string(got) != tt.want {
				t.Errorf("maskParams = %s, want %s", got, tt.want)
			}
		})
	}
}
