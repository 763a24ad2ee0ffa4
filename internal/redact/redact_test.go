package redact

import (
	"bytes"
	"encoding/xml"
	"errors"
	"flag"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/go-json-experiment/json/jsontext"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden from the current output")

// userRules are the rules the golden cases run with, on top of the
// built-in ones.
var testRules = []Rule{
	{Name: "secrets", Service: "secretsmanager", Fields: []string{"SecretString", "SecretBinary"}},
	{Name: "pii", Service: "dynamodb", Fields: []string{"ssn", "card"}},
}

func newTestEngine(t testing.TB) *Engine {
	t.Helper()
	e, err := New(testRules)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return e
}

func readTestdata(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestBodyGolden runs real AWS response shapes through Body and compares
// with reviewed golden outputs.
func TestBodyGolden(t *testing.T) {
	e := newTestEngine(t)
	tests := []struct {
		name        string
		file        string
		contentType string
		service     string
		operation   string
		fields      []string
		secrets     []string // must not survive
		keep        []string // must survive
	}{
		{
			name: "sts AssumeRole", file: "sts_assume_role.xml", contentType: "text/xml",
			service: "sts", operation: "AssumeRole",
			fields: []string{
				"AssumeRoleResponse.AssumeRoleResult.Credentials.SecretAccessKey",
				"AssumeRoleResponse.AssumeRoleResult.Credentials.SessionToken",
			},
			secrets: []string{"wJalrXUtnFEMI", "AQoDYXdzEPT"},
			keep:    []string{"<AccessKeyId>ASIAIOSFODNN7EXAMPLE</AccessKeyId>", "<Expiration>2019-11-09T13:34:41Z</Expiration>", `xmlns="https://sts.amazonaws.com/doc/2011-06-15/"`},
		},
		{
			name: "sts GetSessionToken with entities and CDATA", file: "sts_get_session_token.xml", contentType: "text/xml; charset=UTF-8",
			service: "sts", operation: "GetSessionToken",
			fields: []string{
				"GetSessionTokenResponse.GetSessionTokenResult.Credentials.SecretAccessKey",
				"GetSessionTokenResponse.GetSessionTokenResult.Credentials.SessionToken",
			},
			secrets: []string{"wJalr", "XUtn", "K7MDENG", "FwoGZXIvYXdzEBYaDEXAMPLETOKEN"},
			keep:    []string{`<?xml version="1.0" encoding="UTF-8"?>`},
		},
		{
			name: "iam CreateAccessKey", file: "iam_create_access_key.xml", contentType: "text/xml",
			service: "iam", operation: "CreateAccessKey",
			fields:  []string{"CreateAccessKeyResponse.CreateAccessKeyResult.AccessKey.SecretAccessKey"},
			secrets: []string{"wJalrXUtnFEMI"},
			keep:    []string{"AKIAIOSFODNN7EXAMPLE", "2015-03-09T18:39:23.411Z"},
		},
		{
			name: "ec2 CreateKeyPair lowercase element", file: "ec2_create_key_pair.xml", contentType: "text/xml;charset=UTF-8",
			service: "ec2", operation: "CreateKeyPair",
			fields:  []string{"CreateKeyPairResponse.keyMaterial"},
			secrets: []string{"BEGIN RSA PRIVATE KEY", "ExampleKeyMaterial"},
			keep:    []string{"1f:51:ae:28"},
		},
		{
			name: "sso GetRoleCredentials lowercase JSON", file: "sso_get_role_credentials.json", contentType: "application/json",
			service: "sso", operation: "GetRoleCredentials",
			fields:  []string{"roleCredentials.secretAccessKey", "roleCredentials.sessionToken"},
			secrets: []string{"wJalrXUtnFEMI", "IQoJb3JpZ2luX2Vj"},
			keep:    []string{`"accessKeyId":"ASIAIOSFODNN7EXAMPLE"`, `"expiration":1700000000000`},
		},
		{
			name: "ecr GetAuthorizationToken array", file: "ecr_get_authorization_token.json", contentType: "application/x-amz-json-1.1",
			service: "ecr", operation: "GetAuthorizationToken",
			fields:  []string{"authorizationData[].authorizationToken"},
			secrets: []string{"QVdTOmV5SndZWGxzYjJGa0lqb2lZM0Z0"},
			keep:    []string{`"expiresAt": 1.700043200E9`, "\n    {\n"},
		},
		{
			name: "secretsmanager GetSecretValue user rule", file: "secretsmanager_get_secret_value.json", contentType: "application/x-amz-json-1.1",
			service: "secretsmanager", operation: "GetSecretValue",
			fields:  []string{"SecretString"},
			secrets: []string{"hunter2"},
			keep:    []string{`"VersionStages":["AWSCURRENT"]`},
		},
		{
			name: "dynamodb nested attribute, type-valid N and B", file: "dynamodb_get_item.json", contentType: "application/x-amz-json-1.0",
			service: "dynamodb", operation: "GetItem",
			fields:  []string{"Item.profile.M.ssn", "Item.card"},
			secrets: []string{"123-45-6789", "1234", "c2VjcmV0LWJsb2I=", "gold", `"7"`},
			keep:    []string{`"age":{"N":"42"}`, `"BOOL":true`, `"NULL":true`, `"id":{"S":"user-1"}`},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := readTestdata(t, tt.file)
			orig := bytes.Clone(in)
			res, err := e.Body(tt.contentType, tt.service, tt.operation, in)
			if err != nil {
				t.Fatalf("Body: %v", err)
			}
			if !bytes.Equal(in, orig) {
				t.Fatal("Body modified its input")
			}
			if !res.Changed {
				t.Fatal("Changed = false, want true")
			}
			if !slices.Equal(res.Fields, tt.fields) {
				t.Errorf("Fields = %q, want %q", res.Fields, tt.fields)
			}
			out := string(res.Body)
			for _, s := range tt.secrets {
				if strings.Contains(out, s) {
					t.Errorf("output still contains %q", s)
				}
			}
			for _, s := range tt.keep {
				if !strings.Contains(out, s) {
					t.Errorf("output lost %q", s)
				}
			}
			if !strings.Contains(out, Mask) {
				t.Errorf("output has no mask")
			}
			switch filepath.Ext(tt.file) {
			case ".json":
				assertValidJSON(t, res.Body)
			case ".xml":
				assertSameXMLShape(t, in, res.Body)
			}
			golden := filepath.Join("testdata", tt.file+".golden")
			if *update {
				if err := os.WriteFile(golden, res.Body, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run with -update to create)", err)
			}
			if !bytes.Equal(res.Body, want) {
				t.Errorf("output differs from %s:\n%s", golden, res.Body)
			}
		})
	}
}

// TestBody covers formats, restrictions and edge cases inline.
func TestBody(t *testing.T) {
	e, err := New([]Rule{
		{Name: "glob", Fields: []string{"*Password*"}, Service: "rds"},
		{Name: "dotted", Fields: []string{"AssumedRoleUser.Arn"}},
		{Name: "op-only", Fields: []string{"Value"}, Service: "ssm", Operation: "GetParameter"},
	})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name        string
		contentType string
		service     string
		operation   string
		in          string
		want        string // "" = unchanged
		fields      []string
	}{
		{
			name: "no match stays byte-identical", contentType: "application/x-amz-json-1.0", service: "dynamodb",
			in: "{ \"Items\" : [ {\"id\": {\"S\": \"a\"}} ],\n\t\"Count\": 1 }\n",
		},
		{
			name: "escaped member name is matched", contentType: "application/json",
			in:     `{"Secret\u0041ccessKey":"abc"}`,
			want:   `{"Secret\u0041ccessKey":"[REDACTED by jitgate]"}`,
			fields: []string{"SecretAccessKey"},
		},
		{
			name: "matched array and object mask strings only", contentType: "application/json",
			in:     `{"x":[["a"]],"Password":["p1",{"q":"p2"},3,null]}`,
			want:   `{"x":[["a"]],"Password":["[REDACTED by jitgate]",{"q":"[REDACTED by jitgate]"},3,null]}`,
			fields: []string{"Password"},
		},
		{
			name: "number under matched name is kept and not reported", contentType: "application/json",
			in: `{"Password":12}`,
		},
		{
			name: "top-level array path", contentType: "application/json",
			in:     `[{"SessionToken":"t"},[{"SessionToken":"u"}]]`,
			want:   `[{"SessionToken":"[REDACTED by jitgate]"},[{"SessionToken":"[REDACTED by jitgate]"}]]`,
			fields: []string{"[].SessionToken", "[][].SessionToken"},
		},
		{
			name: "built-in names are exact: PasswordResetRequired and PasswordLastUsed kept", contentType: "text/xml", service: "iam",
			in: `<GetUserResponse><User><PasswordLastUsed>2014-10-10T14:37:51Z</PasswordLastUsed><PasswordResetRequired>false</PasswordResetRequired></User></GetUserResponse>`,
		},
		{
			name: "glob rule restricted to its service", contentType: "application/json", service: "rds",
			in:     `{"MasterUserPasswordX":"p","DbPasswordHint":"h","Other":"o"}`,
			want:   `{"MasterUserPasswordX":"[REDACTED by jitgate]","DbPasswordHint":"[REDACTED by jitgate]","Other":"o"}`,
			fields: []string{"MasterUserPasswordX", "DbPasswordHint"},
		},
		{
			name: "glob rule does not apply to another service", contentType: "application/json", service: "ec2",
			in: `{"MasterUserPasswordX":"p"}`,
		},
		{
			name: "operation restriction applies", contentType: "application/x-amz-json-1.1", service: "ssm", operation: "GetParameter",
			in:     `{"Parameter":{"Name":"/db/pw","Type":"SecureString","Value":"s3cret"}}`,
			want:   `{"Parameter":{"Name":"/db/pw","Type":"SecureString","Value":"[REDACTED by jitgate]"}}`,
			fields: []string{"Parameter.Value"},
		},
		{
			name: "operation restriction excludes others", contentType: "application/x-amz-json-1.1", service: "ssm", operation: "GetParametersByPath",
			in: `{"Parameters":[{"Value":"s3cret"}]}`,
		},
		{
			name: "dotted rule matches only under its parent", contentType: "text/xml", service: "sts",
			in:     `<R><AssumedRoleUser><Arn>arn:a</Arn></AssumedRoleUser><Role><Arn>arn:b</Arn></Role></R>`,
			want:   `<R><AssumedRoleUser><Arn>[REDACTED by jitgate]</Arn></AssumedRoleUser><Role><Arn>arn:b</Arn></Role></R>`,
			fields: []string{"R.AssumedRoleUser.Arn"},
		},
		{
			name: "xml namespace prefix ignored for matching", contentType: "application/xml",
			in:     `<ns:R xmlns:ns="urn:x"><ns:SecretAccessKey a="1">s</ns:SecretAccessKey><ns:SessionToken/></ns:R>`,
			want:   `<ns:R xmlns:ns="urn:x"><ns:SecretAccessKey a="1">[REDACTED by jitgate]</ns:SecretAccessKey><ns:SessionToken/></ns:R>`,
			fields: []string{"R.SecretAccessKey"},
		},
		{
			name: "xml subtree masks descendants, keeps whitespace", contentType: "text/xml",
			in:     "<R><Password>\n  <a>x</a>\n  <b>y</b>\n</Password><c>z</c></R>",
			want:   "<R><Password>\n  <a>[REDACTED by jitgate]</a>\n  <b>[REDACTED by jitgate]</b>\n</Password><c>z</c></R>",
			fields: []string{"R.Password"},
		},
		{
			name: "form request body", contentType: "application/x-www-form-urlencoded; charset=utf-8", service: "iam",
			in:     "Action=CreateLoginProfile&UserName=bob&Password=p%40ss+word&PasswordResetRequired=true&Version=2010-05-08",
			want:   "Action=CreateLoginProfile&UserName=bob&Password=%5BREDACTED+by+jitgate%5D&PasswordResetRequired=true&Version=2010-05-08",
			fields: []string{"Password"},
		},
		{
			name: "form member levels are transparent", contentType: "application/x-www-form-urlencoded",
			in:     "Action=X&Creds.member.1.SessionToken=abc&Creds.member.2.SessionToken=",
			want:   "Action=X&Creds.member.1.SessionToken=%5BREDACTED+by+jitgate%5D&Creds.member.2.SessionToken=",
			fields: []string{"Creds.member.1.SessionToken"},
		},
		{
			name: "no content type, sniffed JSON", contentType: "",
			in:     ` {"SessionToken":"t"}`,
			want:   ` {"SessionToken":"[REDACTED by jitgate]"}`,
			fields: []string{"SessionToken"},
		},
		{
			name: "s3 GetObject payload is not an API document", contentType: "application/json", service: "s3", operation: "GetObject",
			in: `{"SecretAccessKey":"user data"}`,
		},
		{
			name: "binary passes", contentType: "application/octet-stream",
			in: `{"SecretAccessKey":"x"}`,
		},
		{
			name: "event stream passes (masking is a later issue)", contentType: "application/vnd.amazon.eventstream",
			in: "\x00\x00\x00\x10garbage",
		},
		{
			name: "empty body", contentType: "application/json",
			in: "",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := []byte(tt.in)
			res, err := e.Body(tt.contentType, tt.service, tt.operation, in)
			if err != nil {
				t.Fatalf("Body: %v", err)
			}
			if tt.want == "" {
				if res.Changed || string(res.Body) != tt.in {
					t.Fatalf("changed = %v, body = %q; want unchanged", res.Changed, res.Body)
				}
				if len(in) > 0 && &res.Body[0] != &in[0] {
					t.Errorf("unchanged body was copied")
				}
			} else {
				if !res.Changed || string(res.Body) != tt.want {
					t.Fatalf("got changed=%v %q\nwant %q", res.Changed, res.Body, tt.want)
				}
			}
			if !slices.Equal(res.Fields, tt.fields) {
				t.Errorf("Fields = %q, want %q", res.Fields, tt.fields)
			}
		})
	}
}

func TestBodyInvalid(t *testing.T) {
	e := newTestEngine(t)
	tests := []struct {
		name, contentType, in string
		format                string
	}{
		{name: "truncated JSON", contentType: "application/json", in: `{"SecretAccessKey":"abc`, format: "json"},
		{name: "trailing comma", contentType: "application/json", in: `{"a":1,}`, format: "json"},
		{name: "two top-level values", contentType: "application/json", in: `{"a":1} {"SessionToken":"x"}`, format: "json"},
		{name: "bare word", contentType: "application/x-amz-json-1.0", in: `SecretAccessKey`, format: "json"},
		{name: "invalid UTF-8 in string", contentType: "application/json", in: "{\"a\":\"\xff\"}", format: "json"},
		{name: "mismatched XML tags", contentType: "text/xml", in: `<a><SecretAccessKey>s</a>`, format: "xml"},
		{name: "truncated XML", contentType: "text/xml", in: `<a><SecretAccessKey>s`, format: "xml"},
		{name: "XML without element", contentType: "text/xml", in: `<!-- only a comment -->`, format: "xml"},
		{name: "bad form escape", contentType: "application/x-www-form-urlencoded", in: `Password=%zz`, format: "form"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, err := e.Body(tt.contentType, "sts", "AssumeRole", []byte(tt.in))
			if !errors.Is(err, ErrInvalidBody) {
				t.Fatalf("err = %v, want ErrInvalidBody", err)
			}
			var be *BodyError
			if !errors.As(err, &be) || be.Format != tt.format {
				t.Fatalf("err = %#v, want *BodyError with format %q", err, tt.format)
			}
			if strings.Contains(err.Error(), "abc") || strings.Contains(err.Error(), "\"s\"") {
				t.Errorf("error message quotes the body: %v", err)
			}
			if res.Body != nil {
				t.Errorf("Body = %q on error, want nil", res.Body)
			}
		})
	}
}

func TestNewErrors(t *testing.T) {
	tests := []struct {
		name  string
		rules []Rule
		opts  []Option
		want  error
		field string
	}{
		{name: "no fields", rules: []Rule{{Name: "r"}}, want: ErrInvalidRule},
		{name: "empty field", rules: []Rule{{Name: "r", Fields: []string{" "}}}, want: ErrInvalidRule, field: " "},
		{name: "empty segment", rules: []Rule{{Name: "r", Fields: []string{"a..b"}}}, want: ErrInvalidRule, field: "a..b"},
		{name: "markup in field", rules: []Rule{{Name: "r", Fields: []string{"a<b"}}}, want: ErrInvalidRule, field: "a<b"},
		{name: "reserved name", rules: []Rule{{Name: "builtin:x", Fields: []string{"a"}}}, want: ErrInvalidRule},
		{name: "empty mask", opts: []Option{WithMask("")}, want: ErrInvalidOption},
		{name: "control char in mask", opts: []Option{WithMask("a\x00")}, want: ErrInvalidOption},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := New(tt.rules, tt.opts...)
			if !errors.Is(err, tt.want) {
				t.Fatalf("err = %v, want %v", err, tt.want)
			}
			var re *RuleError
			if errors.As(err, &re) && (re.Rule != tt.rules[0].Name || re.Field != tt.field) {
				t.Errorf("RuleError = %+v, want rule %q field %q", re, tt.rules[0].Name, tt.field)
			}
		})
	}
}

func TestWithMask(t *testing.T) {
	e, err := New(nil, WithMask(`<"x&y">`))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct{ name, contentType, in, want string }{
		{"json quoted", "application/json", `{"SessionToken":"t"}`, `{"SessionToken":"\u003c\"x&y\"\u003e"}`},
		{"xml escaped", "text/xml", `<a><SessionToken>t</SessionToken></a>`, `<a><SessionToken>&lt;&#34;x&amp;y&#34;&gt;</SessionToken></a>`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, err := e.Body(tt.contentType, "", "", []byte(tt.in))
			if err != nil {
				t.Fatal(err)
			}
			// The exact escaping is the encoder's; what matters is that the
			// value decodes back to the mask.
			if got := decodedValue(t, tt.contentType, res.Body); got != `<"x&y">` {
				t.Errorf("decoded value = %q (body %s)", got, res.Body)
			}
		})
	}
}

// decodedValue returns the SessionToken value of a tiny JSON or XML body.
func decodedValue(t *testing.T, contentType string, b []byte) string {
	t.Helper()
	if contentType == "text/xml" {
		var v struct {
			SessionToken string
		}
		if err := xml.Unmarshal(b, &v); err != nil {
			t.Fatal(err)
		}
		return v.SessionToken
	}
	dec := jsontext.NewDecoder(bytes.NewReader(b))
	for {
		tok, err := dec.ReadToken()
		if err != nil {
			t.Fatal(err)
		}
		if tok.Kind() == '"' && tok.String() == "SessionToken" {
			v, err := dec.ReadToken()
			if err != nil {
				t.Fatal(err)
			}
			return v.String()
		}
	}
}

func assertValidJSON(t testing.TB, b []byte) {
	t.Helper()
	if !jsontext.Value(b).IsValid(jsontext.AllowDuplicateNames(true)) {
		t.Fatalf("output is not valid JSON: %s", b)
	}
}

// assertSameXMLShape checks that out parses and has the same elements,
// attributes, namespaces and non-text tokens as in.
func assertSameXMLShape(t testing.TB, in, out []byte) {
	t.Helper()
	a, err := xmlShape(in)
	if err != nil {
		t.Fatalf("input: %v", err)
	}
	b, err := xmlShape(out)
	if err != nil {
		t.Fatalf("output does not parse: %v\n%s", err, out)
	}
	if !slices.Equal(a, b) {
		t.Fatalf("XML shape changed:\n in: %q\nout: %q", a, b)
	}
}

// xmlShape lists the structural tokens of a document (text only as
// "text"/"space" markers).
func xmlShape(b []byte) ([]string, error) {
	dec := xml.NewDecoder(bytes.NewReader(b))
	var shape []string
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			return shape, nil
		}
		if err != nil {
			return nil, err
		}
		switch t := tok.(type) {
		case xml.StartElement:
			s := "<" + t.Name.Space + " " + t.Name.Local
			for _, a := range t.Attr {
				s += " " + a.Name.Space + ":" + a.Name.Local + "=" + a.Value
			}
			shape = append(shape, s)
		case xml.EndElement:
			shape = append(shape, "</"+t.Name.Space+" "+t.Name.Local)
		case xml.CharData:
			switch {
			case len(bytes.TrimSpace(t)) == 0:
				shape = append(shape, "space")
			case len(shape) == 0 || shape[len(shape)-1] != "text": // adjacent runs are one value
				shape = append(shape, "text")
			}
		case xml.ProcInst:
			shape = append(shape, "<?"+t.Target+" "+string(t.Inst))
		default:
			shape = append(shape, "other")
		}
	}
}
