package awsmodel

import (
	"errors"
	"net/http"
	"reflect"
	"strings"
	"testing"
)

const (
	ddbTarget = "X-Amz-Target: DynamoDB_20120810.ListTables"
	ddbJSON   = "Content-Type: application/x-amz-json-1.0"
	cborPath  = "/service/GraniteServiceVersion20100801/operation/ListMetrics"
	smithy    = "Smithy-Protocol: rpc-v2-cbor"
)

// withHeader adds one more value of a header (req sets each once).
func withHeader(r *http.Request, name, value string) *http.Request {
	r.Header.Add(name, value)
	return r
}

// TestIdentifyRefusesAmbiguous walks every class of request that AWS, a
// front end or an emulator could read another way than the identifier.
func TestIdentifyRefusesAmbiguous(t *testing.T) {
	ix := mustLoad(t)
	s3 := Hint{SigningName: "s3"}
	tests := []struct {
		name    string
		r       *http.Request
		hint    Hint
		mention string
	}{
		// Dot and empty path segments.
		{"dot-dot segment with a sub-resource", req("GET", "/bucket/x/..?policy", ""), s3, `".." segment`},
		{"percent-encoded dot-dot", req("DELETE", "/bucket/x/%2E%2E", ""), s3, "not accepted through the gateway"},
		{"lower-case percent-encoded dot-dot", req("DELETE", "/bucket/x/%2e%2e?tagging", ""), s3, `".."`},
		{"mixed encoded dot-dot", req("DELETE", "/bucket/x/.%2e", ""), s3, `".."`},
		{"dot segment", req("PUT", "/bucket/./k", ""), s3, `"."`},
		{"dot-dot behind an encoded slash", req("DELETE", "/bucket/x%2F..", ""), s3, `".."`},
		{"dot-dot behind an encoded backslash", req("DELETE", "/bucket/x%5C..%5Cy", ""), s3, `".."`},
		{"dot-dot in the svc prefix path", req("GET", "/svc/s3/../b/k", ""), Hint{Service: "s3", SigningName: "s3"}, `".."`},
		{"dot-dot in a JSON request path", req("POST", "/a/..", "{}", ddbTarget), Hint{SigningName: "dynamodb"}, `".."`},
		{"empty segment outside a greedy label", req("GET", "/2015-03-31//functions/", ""), Hint{SigningName: "lambda"}, "empty segment"},
		{"leading empty segment", req("GET", "//b/k", ""), s3, "empty segment"},
		{"pseudo-region aws-global", req("GET", "/b?list-type=2", ""), Hint{SigningName: "s3", Region: "aws-global"}, `runs the call in us-east-1`},
		{"pseudo-region fips-", req("GET", "/b?list-type=2", ""), Hint{SigningName: "s3", Region: "fips-us-east-1"}, `"fips-us-east-1"`},
		{"pseudo-region -fips", req("POST", "/", `{"TableName":"t"}`, ddbTarget), Hint{SigningName: "dynamodb", Region: "us-east-1-fips"}, `"us-east-1-fips"`},
		{"percent-encoded per-service prefix", req("GET", "/svc%2Fs3/b/k", ""), Hint{Service: "s3", SigningName: "s3"}, "percent-encoded"},
		{"encoded slash in the bucket", req("DELETE", "/protected%2Fx/k", ""), s3, "label Bucket"},
		{"lower-case encoded slash in the bucket", req("GET", "/protected%2fx?list-type=2", ""), s3, "label Bucket"},
		{"encoded backslash in the bucket", req("PUT", "/protected%5Cx/k", ""), s3, "label Bucket"},

		// Query and EC2 protocols.
		{"Action in the URL and in the body", req("POST", "/?Action=DeleteTopic", "Action=ListTopics&Version=2010-03-31", form),
			Hint{SigningName: "sns"}, `"Action" is in the URL query`},
		{"parameter in the URL and in the body", req("POST", "/?TopicArn=arn:aws:sns:us-east-1:1:t", "Action=DeleteTopic&Version=2010-03-31", form),
			Hint{SigningName: "sns"}, `"TopicArn"`},
		{"Action twice", req("POST", "/", "Action=ListUsers&Action=DeleteUser&UserName=u&Version=2010-05-08", form),
			Hint{SigningName: "iam"}, `"Action" more than once`},
		{"Action in two cases", req("POST", "/", "Action=ListUsers&action=CreateAccessKey&Version=2010-05-08", form),
			Hint{SigningName: "iam"}, "differ only in case"},
		{"lower-case action only", req("GET", "/?action=ListUsers&Version=2010-05-08", ""), Hint{SigningName: "iam"}, `spelled "Action"`},
		{"parameter in two cases", req("POST", "/", "Action=ListUsers&Version=2010-05-08&PathPrefix=%2Fa%2F&pathprefix=%2F", form),
			Hint{SigningName: "iam"}, "differ only in case"},
		{"parameter twice in the URL", req("GET", "/?Action=ListUsers&Version=2010-05-08&PathPrefix=%2Fa%2F&PathPrefix=%2F", ""),
			Hint{SigningName: "iam"}, `"PathPrefix" more than once`},
		{"form body in another charset", req("POST", "/", "Action=ListUsers&Version=2010-05-08", "Content-Type: application/x-www-form-urlencoded; charset=utf-7"),
			Hint{SigningName: "iam"}, "UTF-8"},
		{"JSON body in another charset", req("POST", "/", `{"TableName":"t"}`, ddbTarget, "Content-Type: application/x-amz-json-1.0; charset=UTF-16"),
			Hint{SigningName: "dynamodb"}, "UTF-8"},
		{"query body that is not a form", req("POST", "/", `{"Action":"DeleteUser","UserName":"u"}`, "Content-Type: application/json"),
			Hint{SigningName: "iam"}, "form-encoded"},
		{"Action in the URL with a JSON body", req("POST", "/?Action=ListUsers&Version=2010-05-08", `{"Action":"DeleteUser"}`, "Content-Type: application/json"),
			Hint{SigningName: "iam"}, "not form-encoded"},
		{"raw semicolon", req("GET", "/?Action=ListUsers;Action=DeleteUser&Version=2010-05-08", ""), Hint{SigningName: "iam"}, "';'"},
		{"bad escape in the form", req("POST", "/", "Action=ListUsers&Version=2010-05-08&PathPrefix=%zz", form), Hint{SigningName: "iam"}, "percent-encoding"},
		{"query request off the root path", req("POST", "/123456789012/q", "Action=SendMessage&MessageBody=hi", form),
			Hint{SigningName: "sqs"}, `path "/123456789012/q"`},
		{"invalid UTF-8 value", req("GET", "/?Action=ListUsers&Version=2010-05-08&PathPrefix=%FF", ""), Hint{SigningName: "iam"}, "UTF-8"},
		{"list index with a leading zero", req("POST", "/", "Action=CreateQueue&Version=2012-11-05&QueueName=q&Attribute.1.Name=DelaySeconds&Attribute.1.Value=1&Attribute.01.Name=Policy&Attribute.01.Value=x", form),
			Hint{SigningName: "sqs"}, `index "01"`},
		{"list index with a sign", req("GET", "/?Action=StopInstances&Version=2016-11-15&InstanceId.%2B1=i-0bastion", ""), Hint{SigningName: "ec2"}, `index "+1"`},
		{"list index zero", req("GET", "/?Action=StopInstances&Version=2016-11-15&InstanceId.0=i-0bastion", ""), Hint{SigningName: "ec2"}, `index "0"`},
		{"list index past int32", req("POST", "/", "Action=CreateQueue&Version=2012-11-05&QueueName=q&Attribute.4294967297.Name=Policy&Attribute.4294967297.Value=x", form),
			Hint{SigningName: "sqs"}, `index "4294967297"`},
		{"query member spelled otherwise than the model", req("POST", "/", "Action=DeleteUser&Version=2010-05-08&userName=admin", form),
			Hint{SigningName: "iam"}, `spelled "UserName" in the model`},
		{"sns member spelled otherwise than the model", req("POST", "/", "Action=DeleteTopic&Version=2010-03-31&topicArn=arn:aws:sns:us-east-1:1:prod", form),
			Hint{SigningName: "sns"}, `spelled "TopicArn" in the model`},
		{"ec2 parameter in two cases", req("POST", "/", "Action=TerminateInstances&Version=2016-11-15&InstanceId.1=i-1&instanceid.1=i-2", form),
			Hint{SigningName: "ec2"}, "differ only in case"},

		// S3 x-id and query keys the operation does not model.
		{"x-id that is not the route", req("PUT", "/b/k?acl&x-id=PutObject", ""), s3, "x-id=PutObject"},
		{"x-id twice", req("GET", "/b/k?x-id=GetObject&x-id=GetObject", ""), s3, `"x-id" more than once`},
		{"unmodelled sub-resource", req("GET", "/b/k?torrentx", ""), s3, `"torrentx"`},
		{"sub-resource of another operation", req("PUT", "/b/k?uploads", ""), s3, `"uploads"`},
		{"non-list member twice", req("GET", "/b?list-type=2&prefix=a&prefix=b", ""), s3, `"prefix" more than once`},
		{"query keys in two cases", req("GET", "/b?list-type=2&prefix=a&Prefix=b", ""), s3, "differ only in case"},
		{"literal key twice", req("GET", "/b?list-type=2&list-type=1", ""), s3, `"list-type" more than once`},

		// Protocol signals that disagree with the body.
		{"X-Amz-Target with a form body", req("POST", "/", "Action=DeleteTable&TableName=t", ddbTarget, form),
			Hint{SigningName: "dynamodb"}, "Content-Type"},
		{"X-Amz-Target with Action in the URL", req("POST", "/?Action=DeleteTable", "{}", ddbTarget),
			Hint{SigningName: "dynamodb"}, `"Action"`},
		{"JSON version disagrees with the service", req("POST", "/", "{}", ddbTarget, "Content-Type: application/x-amz-json-1.1"),
			Hint{SigningName: "dynamodb"}, "JSON 1.0"},
		{"JSON with another content type", req("POST", "/", "{}", ddbTarget, "Content-Type: application/json"),
			Hint{SigningName: "dynamodb"}, "application/json"},
		{"X-Amz-Target twice", withHeader(req("POST", "/", "{}", ddbTarget), "X-Amz-Target", "DynamoDB_20120810.DeleteTable"),
			Hint{SigningName: "dynamodb"}, "X-Amz-Target is given 2 times"},
		{"X-Amz-Target and Smithy-Protocol", req("POST", cborPath, "\xa0", smithy, "X-Amz-Target: GraniteServiceVersion20100801.ListMetrics"),
			Hint{SigningName: "monitoring"}, "both"},
		{"JSON request off the root path", req("POST", "/2015-03-31/functions", "{}", ddbTarget), Hint{SigningName: "dynamodb"}, "path"},
		{"CBOR with a JSON content type", req("POST", cborPath, "\xa0", smithy, "Content-Type: application/json"),
			Hint{SigningName: "monitoring"}, "application/cbor"},
		{"unknown Smithy protocol", req("POST", cborPath, "{}", "Smithy-Protocol: rpc-v2-json"), Hint{SigningName: "monitoring"}, "rpc-v2-json"},
		{"CBOR with a URL query", req("POST", cborPath+"?Action=PutMetricData", "\xa0", smithy), Hint{SigningName: "monitoring"}, `"Action"`},

		// Duplicate and case-variant keys in JSON and CBOR bodies.
		{"JSON duplicate key", req("POST", "/", `{"TableName":"a","TableName":"b"}`, "X-Amz-Target: DynamoDB_20120810.DeleteTable", ddbJSON),
			Hint{SigningName: "dynamodb"}, "twice"},
		{"JSON keys in two cases", req("POST", "/", `{"TableName":"a","tablename":"b"}`, "X-Amz-Target: DynamoDB_20120810.DeleteTable", ddbJSON),
			Hint{SigningName: "dynamodb"}, "differ only in case"},
		{"JSON member spelled otherwise than the model", req("POST", "/", `{"tablename":"a"}`, "X-Amz-Target: DynamoDB_20120810.DeleteTable", ddbJSON),
			Hint{SigningName: "dynamodb"}, `spelled "TableName" in the model`},
		{"JSON nested keys in two cases", req("POST", "/", `{"TableName":"t","Item":{"id":{"S":"1","s":"2"}}}`, "X-Amz-Target: DynamoDB_20120810.PutItem", ddbJSON),
			Hint{SigningName: "dynamodb"}, "$.Item.id"},
		{"JSON nested duplicate in a list", req("POST", "/", `{"RequestItems":{"t":[{"DeleteRequest":{"Key":{"k":{"S":"a"},"k":{"S":"b"}}}}]}}`,
			"X-Amz-Target: DynamoDB_20120810.BatchWriteItem", ddbJSON), Hint{SigningName: "dynamodb"}, "twice"},
		{"JSON keys equal under Unicode folding", req("POST", "/", `{"k":1,"`+"\u212a"+`":2}`, ddbTarget), Hint{SigningName: "dynamodb"}, "differ only in case"},
		{"rest-json duplicate key", req("POST", "/2015-03-31/functions", `{"FunctionName":"a","FunctionName":"b"}`),
			Hint{SigningName: "lambda"}, "twice"},
		{"rest-json body member also in the path", req("PUT", "/2015-03-31/functions/fn/configuration", `{"FunctionName":"other"}`),
			Hint{SigningName: "lambda"}, "also bound"},
		{"rest-json body of an operation without body members names a label", req("DELETE", "/2015-03-31/functions/sandbox", `{"FunctionName":"prod"}`),
			Hint{SigningName: "lambda"}, "also bound"},
		{"rest-json body member in another case than a label", req("PUT", "/2015-03-31/functions/fn/configuration", `{"functionname":"other"}`),
			Hint{SigningName: "lambda"}, "also bound"},
		{"CBOR duplicate map key", req("POST", cborPath, "\xa2\x61a\x01\x61a\x02", smithy), Hint{SigningName: "monitoring"}, "twice"},
		{"CBOR keys in two cases", req("POST", cborPath, "\xa2\x69Namespace\x61x\x69namespace\x61y", smithy), Hint{SigningName: "monitoring"}, "differ only in case"},

		// Headers.
		{"header spelled with underscores", req("PUT", "/b/k", "", "X_amz_copy_source: src/k"), s3, "x-amz-copy-source"},
		{"non-list header twice", withHeader(req("GET", "/b/k", "", "Range: bytes=0-1"), "Range", "bytes=5-9"), s3, "Range is given 2 times"},
		{"method override header", req("GET", "/b/k", "", "X-HTTP-Method-Override: DELETE"), s3, "X-Http-Method-Override"},
		{"method header", req("POST", "/", "Action=ListUsers&Version=2010-05-08", form, "X-HTTP-Method: DELETE"), Hint{SigningName: "iam"}, "X-Http-Method"},
		{"metadata header twice", withHeader(req("PUT", "/b/k", "", "X-Amz-Meta-Owner: a"), "X-Amz-Meta-Owner", "b"), s3, "given 2 times"},

		// rest-xml bodies.
		{"XML DOCTYPE", req("POST", "/b?delete", `<!DOCTYPE x [<!ENTITY k "a">]><Delete><Object><Key>&k;</Key></Object></Delete>`), s3, "DOCTYPE"},
		{"XML comment", req("POST", "/b?delete", `<Delete><Object><Key>a<!-- -->b</Key></Object></Delete>`), s3, "comment"},
		{"XML member twice, not side by side", req("POST", "/b?delete", `<Delete><Object><Key>a</Key><VersionId>v</VersionId><Key>b</Key></Object></Delete>`),
			s3, "not side by side"},
		{"XML text mixed with elements", req("POST", "/b?delete", `<Delete>x<Object><Key>a</Key></Object></Delete>`), s3, "mixes text"},
		{"XML repeated element of two kinds", req("POST", "/b?delete", `<Delete><Object><Key>a</Key></Object><Object>b</Object></Delete>`), s3, "sometimes"},
		{"XML second root", req("POST", "/b?delete", `<Delete></Delete><Delete><Object><Key>a</Key></Object></Delete>`), s3, "second root"},
		{"XML element of another namespace", req("POST", "/b?delete", `<Delete xmlns:x="urn:x"><Object><Key>tmp/a</Key></Object><x:Object><Key>prod/b</Key></x:Object></Delete>`), s3, "namespace"},
		{"XML processing instruction", req("POST", "/b?delete", `<Delete><?php x?><Object><Key>a</Key></Object></Delete>`), s3, "processing instruction"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			body := readBody(t, tt.r)
			op, err := ix.Identify(tt.r, body, tt.hint)
			if !errors.Is(err, ErrAmbiguousRequest) {
				t.Fatalf("err = %v (op %+v), want ErrAmbiguousRequest", err, op)
			}
			if !strings.Contains(err.Error(), tt.mention) {
				t.Errorf("error %q does not mention %q", err, tt.mention)
			}
		})
	}
}

// TestIdentifyRefusesUnsignedInput: with the signed headers known, a header
// that picks or fills the operation must be among them.
func TestIdentifyRefusesUnsignedInput(t *testing.T) {
	ix := mustLoad(t)
	hostOnly := []string{"host", "x-amz-date"}
	tests := []struct {
		name    string
		r       *http.Request
		hint    Hint
		mention string
	}{
		{"copy source turns PutObject into CopyObject", req("PUT", "/b/k", "", "X-Amz-Copy-Source: src/k"),
			Hint{SigningName: "s3", SignedHeaders: hostOnly}, "x-amz-copy-source"},
		{"copy source on a route that does not model it", req("PUT", "/b/k?x-id=PutObject", "", "X-Amz-Copy-Source: src/k"),
			Hint{SigningName: "s3", SignedHeaders: hostOnly}, "x-amz-copy-source"},
		{"metadata by header prefix", req("PUT", "/b/k", "", "X-Amz-Meta-Owner: mallory"),
			Hint{SigningName: "s3", SignedHeaders: hostOnly}, "x-amz-meta-owner"},
		{"account id that picks s3control", req("GET", "/v20180820/accesspoint", "", "X-Amz-Account-Id: 123456789012"),
			Hint{SigningName: "s3", SignedHeaders: hostOnly}, "x-amz-account-id"},
		{"X-Amz-Target", req("POST", "/", "{}", ddbTarget), Hint{SigningName: "dynamodb", SignedHeaders: hostOnly}, "x-amz-target"},
		{"JSON Content-Type", req("POST", "/", "{}", ddbTarget, ddbJSON),
			Hint{SigningName: "dynamodb", SignedHeaders: []string{"host", "x-amz-target"}}, "content-type"},
		{"form Content-Type of a query request", req("POST", "/", "Action=ListUsers&Version=2010-05-08", form),
			Hint{SigningName: "iam", SignedHeaders: hostOnly}, "content-type"},
		{"Smithy-Protocol", req("POST", cborPath, "\xa0", smithy), Hint{SigningName: "monitoring", SignedHeaders: hostOnly}, "smithy-protocol"},
		{"nothing signed at all", req("PUT", "/b/k", "", "Cache-Control: no-store"), Hint{SigningName: "s3", SignedHeaders: []string{}}, "cache-control"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			body := readBody(t, tt.r)
			op, err := ix.Identify(tt.r, body, tt.hint)
			if !errors.Is(err, ErrUnsignedInput) {
				t.Fatalf("err = %v (op %+v), want ErrUnsignedInput", err, op)
			}
			if !strings.Contains(err.Error(), tt.mention) {
				t.Errorf("error %q does not mention %q", err, tt.mention)
			}
			// Signed, the same request is read (or refused for another reason).
			tt.hint.SignedHeaders = append(tt.hint.SignedHeaders, tt.mention)
			if _, err := ix.Identify(tt.r, body, tt.hint); errors.Is(err, ErrUnsignedInput) {
				t.Errorf("with %s signed: %v", tt.mention, err)
			}
		})
	}
}

// TestIdentifyOneReadingAccepts: what SDKs send, and what is literal in S3,
// still identifies under the one-reading rules.
func TestIdentifyOneReadingAccepts(t *testing.T) {
	ix := mustLoad(t)
	signed := func(names ...string) []string { return append([]string{"host", "x-amz-date"}, names...) }
	tests := []struct {
		name   string
		r      *http.Request
		hint   Hint
		op     string
		params map[string]any
	}{
		{"S3 key with a double slash", req("PUT", "/b/a//c", ""), Hint{SigningName: "s3"}, "PutObject", map[string]any{"Key": "a//c"}},
		{"S3 key that is a slash", req("PUT", "/b//", ""), Hint{SigningName: "s3"}, "PutObject", map[string]any{"Key": "/"}},
		{"S3 key with dots inside segments", req("PUT", "/b/a.../..b/.c", ""), Hint{SigningName: "s3"}, "PutObject", map[string]any{"Key": "a.../..b/.c"}},
		{"S3 key stays escaped as sent", req("PUT", "/b/a%2Fb%20c", ""), Hint{SigningName: "s3"}, "PutObject", map[string]any{"Key": "a/b c"}},
		{"x-id equal to the route", req("PUT", "/b/k?x-id=PutObject", ""), Hint{SigningName: "s3"}, "PutObject", nil},
		{"a real region", req("GET", "/b?list-type=2", ""), Hint{SigningName: "s3", Region: "eu-west-1"}, "ListObjectsV2", nil},
		{"a global service signed for any real region", req("GET", "/?Action=ListUsers&Version=2010-05-08", ""), Hint{SigningName: "iam", Region: "eu-west-1"}, "ListUsers", nil},
		{"a region no endpoint knows (an emulator's)", req("GET", "/b?list-type=2", ""), Hint{SigningName: "s3", Region: "local"}, "ListObjectsV2", nil},
		{"a list index of ten", req("GET", "/?Action=DescribeInstances&Version=2016-11-15&InstanceId.10=i-1", ""), Hint{SigningName: "ec2"}, "DescribeInstances", nil},
		{"x-id of CopyObject", req("PUT", "/b/k?x-id=CopyObject", "", "X-Amz-Copy-Source: s/k"),
			Hint{SigningName: "s3", SignedHeaders: signed("x-amz-copy-source")}, "CopyObject", map[string]any{"CopySource": "s/k"}},
		{"unsigned Content-Length is framing", req("PUT", "/b/k", "abc", "Content-Length: 3"),
			Hint{SigningName: "s3", SignedHeaders: signed()}, "PutObject", nil},
		{"presigned GetObject", req("GET", "/b/k?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=a&X-Amz-Date=d&X-Amz-Expires=60&X-Amz-SignedHeaders=host&X-Amz-Signature=s", ""),
			Hint{SigningName: "s3", SignedHeaders: []string{"host"}}, "GetObject", nil},
		{"list member repeated", req("DELETE", "/tags/arn%3Aaws%3Aapigateway%3A%3A%2Frestapis%2Fa?tagKeys=a&tagKeys=b", ""), Hint{SigningName: "apigateway"},
			"UntagResource", map[string]any{"tagKeys": []string{"a", "b"}, "resourceArn": "arn:aws:apigateway::/restapis/a"}},
		{"query GET with a presigned URL", req("GET", "/?Action=ListUsers&Version=2010-05-08&X-Amz-Signature=s&X-Amz-Credential=c", ""),
			Hint{SigningName: "iam"}, "ListUsers", nil},
		{"query form with presign parameters in the URL", req("POST", "/?X-Amz-Signature=s", "Action=ListUsers&Version=2010-05-08", form),
			Hint{SigningName: "iam", SignedHeaders: signed("content-type")}, "ListUsers", nil},
		{"DeleteObjects keys pinned", req("POST", "/b?delete",
			`<?xml version="1.0" encoding="UTF-8"?><Delete xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Object><Key>a</Key></Object><Object><Key>b &amp; c</Key><VersionId>v</VersionId></Object><Quiet>true</Quiet></Delete>`),
			Hint{SigningName: "s3"}, "DeleteObjects", map[string]any{"Delete": map[string]any{
				"Object": []any{map[string]any{"Key": "a"}, map[string]any{"Key": "b & c", "VersionId": "v"}}, "Quiet": "true"}}},
		{"DeleteObjects one key", req("POST", "/b?delete", `<Delete><Object><Key> spaced </Key></Object></Delete>`),
			Hint{SigningName: "s3"}, "DeleteObjects", map[string]any{"Delete": map[string]any{"Object": map[string]any{"Key": " spaced "}}}},
		{"XML attribute", req("PUT", "/b?acl", `<AccessControlPolicy><AccessControlList><Grant><Grantee xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:type="CanonicalUser"><ID>x</ID></Grantee><Permission>READ</Permission></Grant></AccessControlList></AccessControlPolicy>`),
			Hint{SigningName: "s3"}, "PutBucketAcl", map[string]any{"AccessControlPolicy": map[string]any{"AccessControlList": map[string]any{
				"Grant": map[string]any{"Grantee": map[string]any{"@type": "CanonicalUser", "ID": "x"}, "Permission": "READ"}}}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			body := readBody(t, tt.r)
			op, err := ix.Identify(tt.r, body, tt.hint)
			if err != nil {
				t.Fatal(err)
			}
			if op.Name != tt.op {
				t.Errorf("op = %s, want %s", op.Name, tt.op)
			}
			for k, want := range tt.params {
				if got := op.Params[k]; !reflect.DeepEqual(got, want) {
					t.Errorf("param %s = %#v, want %#v", k, got, want)
				}
			}
		})
	}
}

func TestFoldKey(t *testing.T) {
	tests := []struct {
		a, b  string
		equal bool
	}{
		{"Action", "action", true},
		{"Action", "ACTION", true},
		{"k", "\u212a", true}, // Kelvin sign
		{"s", "\u017f", true}, // long s
		{"Straße", "STRASSE", false},
		{"a", "b", false},
	}
	for _, tt := range tests {
		if got := foldKey(tt.a) == foldKey(tt.b); got != tt.equal {
			t.Errorf("foldKey(%q) == foldKey(%q) is %v, want %v", tt.a, tt.b, got, tt.equal)
		}
		if got := strings.EqualFold(tt.a, tt.b); got != tt.equal {
			t.Errorf("strings.EqualFold(%q, %q) = %v: the test table is wrong", tt.a, tt.b, got)
		}
	}
}
