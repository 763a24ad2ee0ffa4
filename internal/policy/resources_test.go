package policy

import (
	"reflect"
	"testing"
)

func TestExtractResources(t *testing.T) {
	tests := []struct {
		name   string
		params map[string]any
		want   Resources
	}{
		{"nil params", nil, Resources{}},
		{
			"s3 GetObject",
			map[string]any{"Bucket": "logs", "Key": "2024/app.log", "VersionId": "3"},
			Resources{Bucket: "logs", Key: "2024/app.log"},
		},
		{
			"s3 CreateBucket",
			map[string]any{"Bucket": "new-bucket", "ACL": "private"},
			Resources{Bucket: "new-bucket"},
		},
		{
			"dynamodb PutItem: Key is a map, not an object key",
			map[string]any{
				"TableName": "orders",
				"Item":      map[string]any{"id": map[string]any{"S": "1"}},
				"Key":       map[string]any{"id": map[string]any{"S": "1"}},
			},
			Resources{Table: "orders", Tables: []string{"orders"}, Names: []string{"orders"}},
		},
		{
			"dynamodb BatchWriteItem",
			map[string]any{"RequestItems": map[string]any{"orders": []any{}, "audit": []any{}}},
			Resources{Tables: []string{"audit", "orders"}},
		},
		{
			"dynamodb BatchGetItem one table",
			map[string]any{"RequestItems": map[string]any{"orders": map[string]any{}}},
			Resources{Table: "orders", Tables: []string{"orders"}},
		},
		{
			"dynamodb TransactWriteItems",
			map[string]any{"TransactItems": []any{
				map[string]any{"Put": map[string]any{"TableName": "orders"}},
				map[string]any{"Update": map[string]any{"TableName": "stock"}},
				map[string]any{"ConditionCheck": map[string]any{"TableName": "orders"}},
			}},
			Resources{Tables: []string{"orders", "stock"}},
		},
		{
			"lambda Invoke by ARN",
			map[string]any{"FunctionName": "arn:aws:lambda:eu-west-1:123456789012:function:resize", "Payload": "{}"},
			Resources{
				Function: "arn:aws:lambda:eu-west-1:123456789012:function:resize",
				ARNs:     []string{"arn:aws:lambda:eu-west-1:123456789012:function:resize"},
				Names:    []string{"arn:aws:lambda:eu-west-1:123456789012:function:resize"},
			},
		},
		{
			"ec2 TerminateInstances json-style list",
			map[string]any{"InstanceIds": []any{"i-2", "i-1", "i-2"}},
			Resources{Instances: []string{"i-1", "i-2"}},
		},
		{
			"ec2 query-style flattened list",
			map[string]any{"InstanceId.1": "i-b", "InstanceId.2": "i-a", "Action": "StopInstances"},
			Resources{Instances: []string{"i-a", "i-b"}},
		},
		{
			"ec2 single InstanceId",
			map[string]any{"InstanceId": "i-9", "Attribute": "userData"},
			Resources{Instances: []string{"i-9"}},
		},
		{
			"sqs and sns",
			map[string]any{"QueueUrl": "https://sqs.eu-west-1.amazonaws.com/1/jobs", "TopicArn": "arn:aws:sns:eu-west-1:1:alerts"},
			Resources{
				Queue: "https://sqs.eu-west-1.amazonaws.com/1/jobs",
				Topic: "arn:aws:sns:eu-west-1:1:alerts",
				ARNs:  []string{"arn:aws:sns:eu-west-1:1:alerts"},
			},
		},
		{
			"sqs CreateQueue by name",
			map[string]any{"QueueName": "jobs"},
			Resources{Queue: "jobs", Names: []string{"jobs"}},
		},
		{
			"iam and nested arns",
			map[string]any{
				"RoleArn":  "arn:aws:iam::1:role/r",
				"UserName": "bob",
				"Policy":   map[string]any{"Statement": []any{map[string]any{"Resource": "arn:aws:s3:::b/*"}}},
			},
			Resources{
				RoleArn: "arn:aws:iam::1:role/r",
				User:    "bob",
				ARNs:    []string{"arn:aws:iam::1:role/r", "arn:aws:s3:::b/*"},
				Names:   []string{"bob"},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := ExtractResources(tt.params)
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("ExtractResources =\n %+v\nwant\n %+v", got, tt.want)
			}
		})
	}
}

func TestExtractResourcesBoundsARNs(t *testing.T) {
	list := make([]any, 2*maxARNs)
	for i := range list {
		list[i] = "arn:aws:s3:::b" + string(rune('a'+i%26)) + string(rune('a'+i/26%26))
	}
	got := ExtractResources(map[string]any{"Resources": list})
	if len(got.ARNs) > maxARNs {
		t.Errorf("got %d ARNs, want at most %d", len(got.ARNs), maxARNs)
	}
}
