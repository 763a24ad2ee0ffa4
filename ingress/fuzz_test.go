package ingress

import (
	"bytes"
	"context"
	"encoding/json"
	"encoding/xml"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/fxamacker/cbor/v2"

	"github.com/jitgate/jitgate/internal/api"
)

// anyXMLError accepts the three XML error shapes: REST-XML's <Error>,
// query's <ErrorResponse><Error> and EC2's <Response><Errors><Error>.
type anyXMLError struct {
	XMLName xml.Name
	Code    string `xml:"Code"`
	Nested  string `xml:"Error>Code"`
	EC2     string `xml:"Errors>Error>Code"`
}

// checkParseableError fails unless rec is an error the agent's SDK can
// read: a code in the shape its Content-Type announces, and a request id.
func checkParseableError(t *testing.T, path string, rec *httptest.ResponseRecorder) {
	t.Helper()
	body := rec.Body.Bytes()
	ct := rec.Header().Get("Content-Type")
	if strings.HasPrefix(path, api.Prefix+"/") {
		var eb api.ErrorBody
		if err := json.Unmarshal(body, &eb); err != nil || eb.Error.Code == "" {
			t.Fatalf("API error %d %q: %q", rec.Code, ct, body)
		}
		return
	}
	if rec.Header().Get("X-Amzn-Requestid") == "" {
		t.Fatalf("error %d without a request id: %q", rec.Code, body)
	}
	var code string
	switch ct {
	case "application/cbor":
		var m map[string]any
		if err := cbor.Unmarshal(body, &m); err != nil {
			t.Fatalf("CBOR error body %x: %v", body, err)
		}
		code, _ = m["__type"].(string)
	case "application/x-amz-json-1.1", "application/json":
		var m map[string]string
		if err := json.Unmarshal(body, &m); err != nil {
			t.Fatalf("JSON error body %q: %v", body, err)
		}
		code = m["__type"]
		if rec.Header().Get("X-Amzn-Errortype") != code {
			t.Fatalf("X-Amzn-Errortype %q, __type %q", rec.Header().Get("X-Amzn-Errortype"), code)
		}
	case "text/xml":
		var x anyXMLError
		if err := xml.Unmarshal(body, &x); err != nil {
			t.Fatalf("XML error body %q: %v", body, err)
		}
		code = x.Code + x.Nested + x.EC2
	default:
		t.Fatalf("error %d with Content-Type %q: %q", rec.Code, ct, body)
	}
	if code == "" {
		t.Fatalf("error %d %s without a code: %q", rec.Code, ct, body)
	}
}

// validToken reports whether s can be an HTTP method or header name.
func validToken(s string) bool {
	if s == "" {
		return false
	}
	for _, c := range []byte(s) {
		if c <= ' ' || c >= 0x7f || strings.IndexByte(`"(),/:;<=>?@[\]{}`, c) >= 0 {
			return false
		}
	}
	return true
}

// FuzzServeAWS feeds arbitrary requests to the gateway. It must never
// panic and must always answer an unsigned or garbled request with an
// error the agent's SDK can parse; nothing unverified is published.
func FuzzServeAWS(f *testing.F) {
	e := newEnv(f, envOpts{wait: 2 * time.Second})
	e.pub.setRespond(refuse(http.StatusForbidden, "AccessDenied", "fuzz"))
	creds := e.agentCreds("agent-1")

	// A validly signed request, for the fuzzer to mutate.
	signed, _ := http.NewRequest(http.MethodPost, "http://127.0.0.1/", strings.NewReader(`{"TableName":"t"}`))
	signed.Header.Set("X-Amz-Target", "DynamoDB_20120810.DescribeTable")
	signed.Header.Set("Content-Type", "application/x-amz-json-1.0")
	signed.Header.Set("X-Amz-Security-Token", creds.SessionToken)
	if err := v4.NewSigner().SignHTTP(context.Background(), aws.Credentials{AccessKeyID: creds.AccessKeyID, SecretAccessKey: creds.SecretAccessKey},
		signed, sha256Hex([]byte(`{"TableName":"t"}`)), "dynamodb", testRegion, time.Now()); err != nil {
		f.Fatal(err)
	}
	var signedHeaders strings.Builder
	for k, vs := range signed.Header {
		signedHeaders.WriteString(k + ": " + vs[0] + "\n")
	}
	seeds := []struct {
		method, target, headers, body string
	}{
		{"GET", "/", "", ""},
		{"GET", "/healthz", "", ""},
		{"GET", "/healthz", "Authorization: AWS4-HMAC-SHA256 Credential=x", ""},
		{"PUT", "/bucket/a//b?uploads", "Content-Type: text/plain", "data"},
		{"POST", "/", "Content-Type: application/x-www-form-urlencoded", "Action=AssumeRoleWithWebIdentity&RoleArn=arn:aws:iam::1:role/r&RoleSessionName=s&WebIdentityToken=a.b.c"},
		{"POST", "/", "Content-Type: application/x-www-form-urlencoded", "Action=DescribeInstances&Version=2016-11-15&%zz"},
		{"POST", "/", "X-Amz-Target: DynamoDB_20120810.ListTables\nAuthorization: AWS4-HMAC-SHA256 Credential=JGIAAAAAAAAAAAAAAAAA/20260101/us-east-1/dynamodb/aws4_request, SignedHeaders=host, Signature=00", "{}"},
		{"POST", "/service/X/operation/Y", "Smithy-Protocol: rpc-v2-cbor", "\xa0"},
		{"GET", "/b/k?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=a%2Fb&X-Amz-Signature=zz&X-Amz-Security-Token=t", "", ""},
		{"GET", "/svc/lambda/2015-03-31/functions/", "Authorization: Bearer x", ""},
		{"POST", api.Prefix + "/holds/x/approve", "Authorization: Bearer not-a-jwt", "{"},
		{"DELETE", "/../../etc/passwd", "", ""},
		{"POST", "/", signedHeaders.String(), `{"TableName":"t"}`},
		{"PUT", "/b/k", "X-Amz-Content-Sha256: STREAMING-UNSIGNED-PAYLOAD-TRAILER\nContent-Encoding: aws-chunked", "5\r\nhello\r\n0\r\n\r\n"},
	}
	for _, s := range seeds {
		f.Add(s.method, s.target, s.headers, []byte(s.body))
	}
	f.Fuzz(func(t *testing.T, method, target, headers string, body []byte) {
		if !validToken(method) || method == http.MethodConnect {
			return
		}
		u, err := url.ParseRequestURI(target)
		if err != nil || !strings.HasPrefix(target, "/") {
			return
		}
		hdr := http.Header{}
		for line := range strings.SplitSeq(headers, "\n") {
			k, v, ok := strings.Cut(line, ": ")
			if !ok || !validToken(k) || strings.ContainsAny(v, "\r\n\x00") {
				continue
			}
			hdr.Add(k, v)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		r := (&http.Request{
			Method: method, URL: u, RequestURI: target, Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
			Header: hdr, Host: "127.0.0.1", RemoteAddr: "127.0.0.1:40000",
			Body: io.NopCloser(bytes.NewReader(body)), ContentLength: int64(len(body)),
		}).WithContext(ctx)
		before := len(e.pub.published())
		rec := httptest.NewRecorder()
		e.g.ServeHTTP(rec, r)
		if rec.Code < 400 {
			// Only the unsigned health probe succeeds without credentials.
			if !(u.Path == "/healthz" && hdr.Get("Authorization") == "" && u.Query().Get("X-Amz-Signature") == "" &&
				(method == http.MethodGet || method == http.MethodHead)) {
				t.Fatalf("%s %s answered %d: %q", method, target, rec.Code, rec.Body.Bytes())
			}
			return
		}
		if after := len(e.pub.published()); after != before && !strings.Contains(headers, creds.AccessKeyID) {
			t.Fatalf("a request without the agent's credentials was published")
		}
		if method == http.MethodHead {
			return // no body to parse
		}
		checkParseableError(t, u.Path, rec)
	})
}
