package main

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/jitgate/jitgate/internal/awsmodel/internal/modelfile"
)

func TestSplitWords(t *testing.T) {
	tests := []struct {
		name string
		want []string
	}{
		{"GetObject", []string{"Get", "Object"}},
		{"PutBucketAcl", []string{"Put", "Bucket", "Acl"}},
		{"GetACLs", []string{"Get", "ACLs"}},
		{"ListIPSets", []string{"List", "IP", "Sets"}},
		{"CreateDBInstance", []string{"Create", "DB", "Instance"}},
		{"Query", []string{"Query"}},
	}
	for _, tt := range tests {
		if got := splitWords(tt.name); !slices.Equal(got, tt.want) {
			t.Errorf("splitWords(%s) = %v, want %v", tt.name, got, tt.want)
		}
	}
}

func TestClassify(t *testing.T) {
	tests := []struct {
		name, service, op, method string
		sensitiveOut              []string
		want                      string
	}{
		{"read verb", "s3", "GetObject", "GET", nil, "r"},
		{"list verb", "s3", "ListBuckets", "GET", nil, "l"},
		{"batch read", "dynamodb", "BatchGetItem", "POST", nil, "r"},
		{"admin delete", "cognito-idp", "AdminDeleteUser", "POST", nil, "d"},
		{"terminate deletes", "ec2", "TerminateInstances", "POST", nil, "d"},
		{"revoke deletes access", "ec2", "RevokeSecurityGroupIngress", "POST", nil, "dp"},
		{"resource policy", "logs", "PutResourcePolicy", "POST", nil, "wp"},
		{"scaling policy is not access", "autoscaling", "PutScalingPolicy", "POST", nil, "w"},
		{"lifecycle deletes later", "ecr", "PutLifecyclePolicy", "POST", nil, "wd"},
		{"every iam change is permissions", "iam", "CreateUser", "POST", nil, "wp"},
		{"read verb with PUT writes", "x", "GetThing", "PUT", nil, "rw"},
		{"unknown verb GET", "x", "FrobThing", "GET", nil, "r"},
		{"unknown verb DELETE", "x", "FrobThing", "DELETE", nil, "d"},
		{"unknown verb POST writes", "x", "FrobThing", "POST", nil, "w"},
		{"assume", "deadline", "AssumeQueueRoleForRead", "GET", nil, "c"},
		{"credentials by name", "x", "GetClusterCredentials", "POST", nil, "rc"},
		{"credential report is not", "iam", "GetCredentialReport", "POST", nil, "r"},
		{"presigned url", "sagemaker", "CreatePresignedDomainUrl", "POST", nil, "wc"},
		{"sensitive secret output", "x", "GetThing", "POST", []string{"SecretString"}, "rc"},
		{"sensitive echo in a describe", "rds", "DescribeDBInstances", "POST", []string{"SecretString"}, "r"},
		{"sensitive name output", "x", "GetThing", "POST", []string{"Name"}, "r"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := classify(tt.service, tt.op, tt.method, tt.sensitiveOut).String(); got != tt.want {
				t.Errorf("classify(%s:%s) = %q, want %q", tt.service, tt.op, got, tt.want)
			}
		})
	}
}

func TestOverrides(t *testing.T) {
	// The committed table parses and every line names an operation.
	if _, err := parseOverrides(effectOverrides); err != nil {
		t.Fatal(err)
	}
	services := []modelfile.Service{{ServiceMeta: modelfile.ServiceMeta{ID: "dynamodb"},
		Ops: []modelfile.Op{{Name: "BatchWriteItem", Effects: "w"}, {Name: "Scan", Effects: "rl"}}}}
	ov, err := parseOverrides("dynamodb:BatchWriteItem =write,delete # puts and deletes\n*:Scan -list +execute # test\n")
	if err != nil {
		t.Fatal(err)
	}
	if err := applyOverrides(services, ov); err != nil {
		t.Fatal(err)
	}
	if got := services[0].Ops[0].Effects + " " + services[0].Ops[1].Effects; got != "wd rx" {
		t.Errorf("after overrides: %q, want %q", got, "wd rx")
	}
	bad := []struct{ name, src, want string }{
		{"no reason", "s3:GetObject +read\n", "reason"},
		{"unknown effect", "s3:GetObject +destroy # x\n", "unknown effect"},
		{"bad token", "s3:GetObject read # x\n", "must start"},
		{"not service:op", "GetObject +read # x\n", "service:Operation"},
	}
	for _, tt := range bad {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := parseOverrides(tt.src); err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("parseOverrides = %v, want an error about %q", err, tt.want)
			}
		})
	}
	t.Run("stale entry", func(t *testing.T) {
		ov, _ := parseOverrides("s3:Gone +read # renamed\n")
		if err := applyOverrides(services, ov); err == nil {
			t.Error("an entry naming no operation was accepted")
		}
	})
	t.Run("empty result", func(t *testing.T) {
		ov, _ := parseOverrides("dynamodb:Scan -read,list,execute # x\n")
		if err := applyOverrides(services, ov); err == nil {
			t.Error("an override leaving no effect was accepted")
		}
	})
}

const sensitiveModel = `{
 "In": {"type": "structure", "members": {
   "User": {"shape": "S"}, "Password": {"shape": "Secret"},
   "Items": {"shape": "ItemList"}, "Vault": {"shape": "SecretMap"}, "Self": {"shape": "In"}}},
 "ItemList": {"type": "list", "member": {"shape": "Item"}},
 "Item": {"type": "structure", "members": {"Token": {"shape": "Secret"}, "Id": {"shape": "S"}}},
 "SecretMap": {"type": "map", "key": {"shape": "S"}, "value": {"shape": "Secret"}},
 "Hidden": {"type": "structure", "sensitive": true, "members": {"A": {"shape": "S"}, "B": {"shape": "S"}}},
 "S": {"type": "string"},
 "Secret": {"type": "string", "sensitive": true}
}`

func TestSensitiveMembers(t *testing.T) {
	var shapes map[string]shape
	if err := json.Unmarshal([]byte(sensitiveModel), &shapes); err != nil {
		t.Fatal(err)
	}
	if got, want := sensitiveMembers(shapes, "In"), []string{"Password", "Token", "Vault"}; !slices.Equal(got, want) {
		t.Errorf("sensitiveMembers(In) = %v, want %v", got, want)
	}
	if got, want := sensitiveMembers(shapes, "Hidden"), []string{"A", "B"}; !slices.Equal(got, want) {
		t.Errorf("sensitiveMembers(Hidden) = %v, want %v", got, want)
	}
	if got := sensitiveMembers(shapes, "Item"); !slices.Equal(got, []string{"Token"}) {
		t.Errorf("sensitiveMembers(Item) = %v", got)
	}
}
