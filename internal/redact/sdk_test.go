package redact

// These tests feed masked bodies to the parsers agents actually run: the
// aws-sdk-go-v2 clients (through a fake HTTP client, no network) and, when
// python3 is installed, xml.etree and botocore.

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"hash/crc32"
	"io"
	"net/http"
	"os/exec"
	"strconv"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/sso"
	"github.com/aws/aws-sdk-go-v2/service/sts"
)

// cannedClient answers every request with one response.
type cannedClient struct {
	header http.Header
	body   []byte
}

func (c cannedClient) Do(req *http.Request) (*http.Response, error) {
	if req.Body != nil {
		_, _ = io.Copy(io.Discard, req.Body)
		_ = req.Body.Close()
	}
	h := c.header.Clone()
	if h.Get("Content-Length") == "" {
		h.Set("Content-Length", strconv.Itoa(len(c.body)))
	}
	return &http.Response{
		StatusCode:    200,
		Status:        "200 OK",
		Header:        h,
		Body:          io.NopCloser(bytes.NewReader(c.body)),
		ContentLength: int64(len(c.body)),
		Request:       req,
	}, nil
}

func maskTestdata(t *testing.T, file, contentType, service, operation string) Result {
	t.Helper()
	res, err := newTestEngine(t).Body(contentType, service, operation, readTestdata(t, file))
	if err != nil {
		t.Fatal(err)
	}
	if !res.Changed {
		t.Fatal("nothing masked")
	}
	return res
}

func TestGoSDKParsesMaskedResponses(t *testing.T) {
	ctx := context.Background()
	xmlHeader := http.Header{"Content-Type": {"text/xml"}}
	tests := []struct {
		name string
		run  func(t *testing.T)
	}{
		{"sts AssumeRole", func(t *testing.T) {
			res := maskTestdata(t, "sts_assume_role.xml", "text/xml", "sts", "AssumeRole")
			c := sts.New(sts.Options{Region: "us-east-1", Credentials: aws.AnonymousCredentials{},
				HTTPClient: cannedClient{xmlHeader, res.Body}})
			out, err := c.AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String("arn:aws:iam::123456789012:role/demo"), RoleSessionName: aws.String("s")})
			if err != nil {
				t.Fatal(err)
			}
			cr := out.Credentials
			if aws.ToString(cr.SecretAccessKey) != Mask || aws.ToString(cr.SessionToken) != Mask ||
				aws.ToString(cr.AccessKeyId) != "ASIAIOSFODNN7EXAMPLE" || cr.Expiration == nil || cr.Expiration.Year() != 2019 {
				t.Errorf("credentials = %+v", cr)
			}
		}},
		{"sts GetSessionToken", func(t *testing.T) {
			res := maskTestdata(t, "sts_get_session_token.xml", "text/xml", "sts", "GetSessionToken")
			c := sts.New(sts.Options{Region: "us-east-1", Credentials: aws.AnonymousCredentials{},
				HTTPClient: cannedClient{xmlHeader, res.Body}})
			out, err := c.GetSessionToken(ctx, &sts.GetSessionTokenInput{})
			if err != nil {
				t.Fatal(err)
			}
			if aws.ToString(out.Credentials.SecretAccessKey) != Mask {
				t.Errorf("SecretAccessKey = %q", aws.ToString(out.Credentials.SecretAccessKey))
			}
		}},
		{"iam CreateAccessKey", func(t *testing.T) {
			res := maskTestdata(t, "iam_create_access_key.xml", "text/xml", "iam", "CreateAccessKey")
			c := iam.New(iam.Options{Region: "us-east-1", Credentials: aws.AnonymousCredentials{},
				HTTPClient: cannedClient{xmlHeader, res.Body}})
			out, err := c.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{})
			if err != nil {
				t.Fatal(err)
			}
			if aws.ToString(out.AccessKey.SecretAccessKey) != Mask || aws.ToString(out.AccessKey.UserName) != "Bob" {
				t.Errorf("AccessKey = %+v", out.AccessKey)
			}
		}},
		{"sso GetRoleCredentials", func(t *testing.T) {
			res := maskTestdata(t, "sso_get_role_credentials.json", "application/json", "sso", "GetRoleCredentials")
			c := sso.New(sso.Options{Region: "us-east-1",
				HTTPClient: cannedClient{http.Header{"Content-Type": {"application/json"}}, res.Body}})
			out, err := c.GetRoleCredentials(ctx, &sso.GetRoleCredentialsInput{
				AccessToken: aws.String("t"), AccountId: aws.String("123456789012"), RoleName: aws.String("r")})
			if err != nil {
				t.Fatal(err)
			}
			rc := out.RoleCredentials
			if aws.ToString(rc.SecretAccessKey) != Mask || aws.ToString(rc.SessionToken) != Mask || rc.Expiration != 1700000000000 {
				t.Errorf("RoleCredentials = %+v", rc)
			}
		}},
		{"iam CreateVirtualMFADevice blobs stay base64", func(t *testing.T) {
			body := `<CreateVirtualMFADeviceResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/"><CreateVirtualMFADeviceResult><VirtualMFADevice>` +
				`<SerialNumber>arn:aws:iam::123456789012:mfa/d</SerialNumber><Base32StringSeed>U0VFRC1TRUNSRVQ=</Base32StringSeed>` +
				`<QRCodePNG>UE5HLVNFQ1JFVA==</QRCodePNG></VirtualMFADevice></CreateVirtualMFADeviceResult>` +
				`<ResponseMetadata><RequestId>r</RequestId></ResponseMetadata></CreateVirtualMFADeviceResponse>`
			res, err := newTestEngine(t).Body("text/xml", "iam", "CreateVirtualMFADevice", []byte(body))
			if err != nil {
				t.Fatal(err)
			}
			c := iam.New(iam.Options{Region: "us-east-1", Credentials: aws.AnonymousCredentials{},
				HTTPClient: cannedClient{xmlHeader, res.Body}})
			out, err := c.CreateVirtualMFADevice(ctx, &iam.CreateVirtualMFADeviceInput{VirtualMFADeviceName: aws.String("d")})
			if err != nil {
				t.Fatal(err)
			}
			d := out.VirtualMFADevice
			if string(d.Base32StringSeed) != Mask || string(d.QRCodePNG) != Mask || aws.ToString(d.SerialNumber) != "arn:aws:iam::123456789012:mfa/d" {
				t.Errorf("VirtualMFADevice = %+v", d)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, tt.run)
	}
}

// TestDynamoDBMaskedItem checks that the Go SDK decodes a masked GetItem
// response (type-valid N and B replacements) with headers fixed by
// FixHeaders. (The SDK checks X-Amz-Crc32 only when the body is closed and
// drops that error, so the checksum value itself is tested in
// TestFixHeaders.)
func TestDynamoDBMaskedItem(t *testing.T) {
	in := readTestdata(t, "dynamodb_get_item.json")
	res := maskTestdata(t, "dynamodb_get_item.json", "application/x-amz-json-1.0", "dynamodb", "GetItem")
	h := http.Header{
		"Content-Type":   {"application/x-amz-json-1.0"},
		"Content-Length": {strconv.Itoa(len(in))},
		"X-Amz-Crc32":    {strconv.FormatUint(uint64(crc32.ChecksumIEEE(in)), 10)},
	}
	FixHeaders(h, res.Body)
	if got, want := h.Get("X-Amz-Crc32"), strconv.FormatUint(uint64(crc32.ChecksumIEEE(res.Body)), 10); got != want {
		t.Fatalf("X-Amz-Crc32 = %s, want %s", got, want)
	}
	c := dynamodb.New(dynamodb.Options{Region: "us-east-1", Credentials: aws.AnonymousCredentials{},
		RetryMaxAttempts: 1, HTTPClient: cannedClient{h, res.Body}})
	out, err := c.GetItem(context.Background(), &dynamodb.GetItemInput{TableName: aws.String("t"),
		Key: map[string]ddbtypes.AttributeValue{"id": &ddbtypes.AttributeValueMemberS{Value: "user-1"}}})
	if err != nil {
		t.Fatal(err)
	}
	profile := out.Item["profile"].(*ddbtypes.AttributeValueMemberM).Value
	card := out.Item["card"].(*ddbtypes.AttributeValueMemberM).Value
	tests := []struct {
		name      string
		got, want string
	}{
		{"S under matched attribute", profile["ssn"].(*ddbtypes.AttributeValueMemberS).Value, Mask},
		{"N under matched attribute", card["pin"].(*ddbtypes.AttributeValueMemberN).Value, "0"},
		{"B under matched attribute", string(card["blob"].(*ddbtypes.AttributeValueMemberB).Value), Mask},
		{"NS under matched attribute", strings.Join(card["codes"].(*ddbtypes.AttributeValueMemberNS).Value, ","), "0,0"},
		{"unmatched N", profile["age"].(*ddbtypes.AttributeValueMemberN).Value, "42"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.got != tt.want {
				t.Errorf("got %q, want %q", tt.got, tt.want)
			}
		})
	}
}

// TestPythonParsesMaskedSTS parses the masked AssumeRole response with
// xml.etree.ElementTree and with botocore's query parser, the one boto3 and
// the AWS CLI use.
func TestPythonParsesMaskedSTS(t *testing.T) {
	py, err := exec.LookPath("python3")
	if err != nil {
		t.Skip("python3 not installed")
	}
	res := maskTestdata(t, "sts_assume_role.xml", "text/xml", "sts", "AssumeRole")
	tests := []struct {
		name   string
		script string
		skipOn string // stderr text meaning the module is missing
	}{
		{name: "ElementTree", script: `
import sys, json, xml.etree.ElementTree as ET
ns = {"s": "https://sts.amazonaws.com/doc/2011-06-15/"}
root = ET.fromstring(sys.stdin.buffer.read())
c = root.find("s:AssumeRoleResult/s:Credentials", ns)
print(json.dumps({e.tag.split("}")[1]: e.text for e in c}))
`},
		{name: "botocore", skipOn: "No module named 'botocore'", script: `
import sys, json, botocore.session
from botocore.parsers import create_parser
op = botocore.session.get_session().get_service_model("sts").operation_model("AssumeRole")
r = create_parser("query").parse({"body": sys.stdin.buffer.read(), "headers": {}, "status_code": 200}, op.output_shape)
print(json.dumps(r["Credentials"], default=lambda v: v.isoformat()))
`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cmd := exec.Command(py, "-c", tt.script)
			cmd.Stdin = bytes.NewReader(res.Body)
			var stderr bytes.Buffer
			cmd.Stderr = &stderr
			out, err := cmd.Output()
			if err != nil {
				if tt.skipOn != "" && strings.Contains(stderr.String(), tt.skipOn) {
					t.Skip(tt.skipOn)
				}
				var ee *exec.ExitError
				if errors.As(err, &ee) {
					t.Fatalf("python failed: %v\n%s", err, stderr.String())
				}
				t.Fatal(err)
			}
			var creds map[string]string
			if err := json.Unmarshal(out, &creds); err != nil {
				t.Fatalf("%v: %s", err, out)
			}
			if creds["SecretAccessKey"] != Mask || creds["SessionToken"] != Mask || creds["AccessKeyId"] != "ASIAIOSFODNN7EXAMPLE" {
				t.Errorf("credentials = %v", creds)
			}
			if !strings.HasPrefix(creds["Expiration"], "2019-11-09T13:34:41") {
				t.Errorf("Expiration = %q", creds["Expiration"])
			}
		})
	}
}

// TestDynamoDBDetectorsAndModes: the Go SDK decodes a Query answer masked
// by detectors and by every replacement mode; numbers stay numbers.
func TestDynamoDBDetectorsAndModes(t *testing.T) {
	body := []byte(`{"Count":1,"Items":[{"id":{"S":"user-1"},"note":{"S":"mail bob@x.com, card 4111 1111 1111 1111"},` +
		`"phone":{"S":"+1 415 555 0100"},"acct":{"N":"4111111111111111"},"ssn":{"S":"123-45-6789"},"age":{"N":"42"}}],"ScannedCount":1}`)
	e, err := New([]Rule{
		{Name: "ssn", Fields: []string{"ssn"}, Replace: Replace{Mode: ModeLast, Keep: 4}},
		{Name: "contact", Detectors: []string{"email", "phone"}, Replace: Replace{Mode: ModePlaceholder}},
		{Name: "cards", Detectors: []string{"card"}, Replace: Replace{Mode: ModeHash}},
	}, WithHashKey(testHashKey))
	if err != nil {
		t.Fatal(err)
	}
	res, err := e.Body("application/x-amz-json-1.0", "dynamodb", "Query", body)
	if err != nil {
		t.Fatal(err)
	}
	h := http.Header{"Content-Type": {"application/x-amz-json-1.0"}}
	FixHeaders(h, res.Body)
	c := dynamodb.New(dynamodb.Options{Region: "us-east-1", Credentials: aws.AnonymousCredentials{},
		RetryMaxAttempts: 1, HTTPClient: cannedClient{h, res.Body}})
	out, err := c.Query(context.Background(), &dynamodb.QueryInput{TableName: aws.String("t")})
	if err != nil {
		t.Fatalf("the SDK cannot parse %s: %v", res.Body, err)
	}
	item := out.Items[0]
	s := func(k string) string { return item[k].(*ddbtypes.AttributeValueMemberS).Value }
	n := func(k string) string { return item[k].(*ddbtypes.AttributeValueMemberN).Value }
	note := s("note")
	if !strings.HasPrefix(note, "mail [EMAIL], card tok_") || strings.Contains(note, "4111") {
		t.Errorf("note = %q", note)
	}
	for k, want := range map[string]string{"phone": "[PHONE]", "ssn": "*******6789", "id": "user-1"} {
		if got := s(k); got != want {
			t.Errorf("%s = %q, want %q", k, got, want)
		}
	}
	if n("acct") != "0" || n("age") != "42" {
		t.Errorf("acct %q age %q", n("acct"), n("age"))
	}
}
