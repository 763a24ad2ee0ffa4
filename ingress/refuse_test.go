package ingress

import (
	"context"
	"encoding/json"
	"encoding/xml"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/fxamacker/cbor/v2"

	"github.com/jitgate/jitgate/schemas"
)

// TestRefusesAmbiguousRequests sends hand-signed requests that AWS could
// read another way than the identifier (or whose operation rests on an
// unsigned header): each is answered 400 in the caller's protocol, naming
// what was ambiguous and the request id, recorded as one security.refused
// event, and never published as a request.
func TestRefusesAmbiguousRequests(t *testing.T) {
	e := newEnv(t, envOpts{})
	e.pub.setRespond(ok(""))
	creds := e.agentCreds("agent-1")
	const form = "application/x-www-form-urlencoded; charset=utf-8"
	cases := []struct {
		name, method, target, signingName, body string
		headers                                 map[string]string
		// afterSigning are added once the request is signed.
		afterSigning map[string]string
		status       int
		code         string
		shape        string // "restxml", "query", "json", "cbor"
		kind         string
		mention      string
	}{
		{name: "S3 dot-dot segment with a sub-resource", method: "GET", target: "/bucket/x/..?policy", signingName: "s3",
			shape: "restxml", code: "InvalidRequest", kind: schemas.SecurityAmbiguousRequest, mention: "'..' path segments are not accepted"},
		{name: "S3 percent-encoded dot-dot", method: "DELETE", target: "/bucket/x/%2e%2E", signingName: "s3",
			shape: "restxml", code: "InvalidRequest", kind: schemas.SecurityAmbiguousRequest, mention: `".." segment`},
		{name: "query Action in the URL and the body", method: "POST", target: "/?Action=DeleteTopic", signingName: "sns",
			body: "Action=ListTopics&Version=2010-03-31", headers: map[string]string{"Content-Type": form},
			shape: "query", code: "MalformedQueryString", kind: schemas.SecurityAmbiguousRequest, mention: `"Action" is in the URL query`},
		{name: "query Action in two cases", method: "POST", target: "/", signingName: "iam",
			body: "Action=ListUsers&action=CreateAccessKey&Version=2010-05-08", headers: map[string]string{"Content-Type": form},
			shape: "query", code: "MalformedQueryString", kind: schemas.SecurityAmbiguousRequest, mention: "differ only in case"},
		{name: "JSON keys in two cases", method: "POST", target: "/", signingName: "dynamodb",
			body:    `{"TableName":"a","tablename":"b"}`,
			headers: map[string]string{"X-Amz-Target": "DynamoDB_20120810.DeleteTable", "Content-Type": "application/x-amz-json-1.0"},
			shape:   "json", code: "SerializationException", kind: schemas.SecurityAmbiguousRequest, mention: "differ only in case"},
		{name: "X-Amz-Target with a form body", method: "POST", target: "/", signingName: "dynamodb",
			body: "Action=DeleteTable&TableName=t", headers: map[string]string{"X-Amz-Target": "DynamoDB_20120810.ListTables", "Content-Type": form},
			shape: "json", code: "SerializationException", kind: schemas.SecurityAmbiguousRequest, mention: "Content-Type"},
		{name: "CBOR duplicate map key", method: "POST", target: "/service/GraniteServiceVersion20100801/operation/ListMetrics", signingName: "monitoring",
			body: "\xa2\x69Namespace\x61x\x69Namespace\x61y", headers: map[string]string{"Smithy-Protocol": "rpc-v2-cbor", "Content-Type": "application/cbor"},
			shape: "cbor", code: "SerializationException", kind: schemas.SecurityAmbiguousRequest, mention: "twice"},
		// Cache-Control fills PutObject's CacheControl; added outside the
		// signature, anyone on the path could have set it.
		{name: "unsigned header bound to a member", method: "PUT", target: "/b/k", signingName: "s3", body: "data",
			afterSigning: map[string]string{"Cache-Control": "public, max-age=31536000"},
			shape:        "restxml", code: "InvalidRequest", kind: schemas.SecurityUnsignedInput, mention: `"cache-control"`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e.pub.reset()
			r, err := http.NewRequest(c.method, e.url+c.target, strings.NewReader(c.body))
			if err != nil {
				t.Fatal(err)
			}
			for k, v := range c.headers {
				r.Header.Set(k, v)
			}
			sum := sha256Hex([]byte(c.body))
			r.Header.Set("X-Amz-Content-Sha256", sum)
			if err := v4.NewSigner().SignHTTP(context.Background(), creds, r, sum, c.signingName, testRegion, time.Now(),
				func(o *v4.SignerOptions) { o.DisableURIPathEscaping = c.signingName == "s3" }); err != nil {
				t.Fatal(err)
			}
			for k, v := range c.afterSigning {
				r.Header.Set(k, v)
			}
			resp, err := http.DefaultClient.Do(r)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			id := resp.Header.Get("X-Jitgate-Request-Id")
			if resp.StatusCode != http.StatusBadRequest {
				t.Fatalf("status %d, want 400; body %s", resp.StatusCode, body)
			}
			code, msg := errorOf(t, c.shape, body)
			if code != c.code {
				t.Errorf("code %q, want %q", code, c.code)
			}
			if !strings.Contains(msg, c.mention) || !strings.Contains(msg, id) {
				t.Errorf("message %q does not name %q and request id %q", msg, c.mention, id)
			}
			var refusals int
			for _, o := range e.flushDoor() {
				switch o.Envelope.Type {
				case schemas.TypeRequestReceived:
					t.Errorf("an ambiguous request was published as request.received")
				case schemas.TypeSecurityRefused:
					refusals++
					ev, err := schemas.DecodeAs[*schemas.SecurityRefused](o.Envelope)
					if err != nil {
						t.Fatal(err)
					}
					if o.Topic != schemas.TopicSecurity || o.Envelope.RequestID != id || ev.Kind != c.kind || ev.Stage != "ingress" ||
						ev.Principal == nil || ev.Principal.Subject != "agent-1" || !strings.Contains(ev.Reason, c.mention) {
						t.Errorf("security.refused on %s for %s: %+v", o.Topic, o.Envelope.RequestID, ev)
					}
				}
			}
			if refusals != 1 {
				t.Errorf("%d security.refused events, want 1", refusals)
			}
		})
	}
}

// errorOf reads the code and message of an error body of the given shape.
func errorOf(t *testing.T, shape string, body []byte) (code, msg string) {
	t.Helper()
	switch shape {
	case "json":
		var v struct {
			Type    string `json:"__type"`
			Message string `json:"message"`
		}
		if err := json.Unmarshal(body, &v); err != nil {
			t.Fatalf("JSON error body %q: %v", body, err)
		}
		return v.Type, v.Message
	case "cbor":
		var v cborError
		if err := cbor.Unmarshal(body, &v); err != nil {
			t.Fatalf("CBOR error body %x: %v", body, err)
		}
		return v.Type, v.Message
	case "query":
		var v queryErrorResponse
		if err := xml.Unmarshal(body, &v); err != nil {
			t.Fatalf("query error body %q: %v", body, err)
		}
		return v.Error.Code, v.Error.Message
	default:
		var v restXMLError
		if err := xml.Unmarshal(body, &v); err != nil {
			t.Fatalf("REST-XML error body %q: %v", body, err)
		}
		return v.Code, v.Message
	}
}
