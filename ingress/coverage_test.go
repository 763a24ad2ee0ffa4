package ingress

import (
	"bytes"
	"context"
	"encoding/json"
	"encoding/xml"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"

	"github.com/jitgate/jitgate/internal/bus"
	"github.com/jitgate/jitgate/internal/sigv4"
	"github.com/jitgate/jitgate/schemas"
)

// signedReq describes a request signed by hand with the SDK's signer, the
// way an attacker holding agent credentials would craft one.
type signedReq struct {
	method, path, service string
	body                  []byte
	// hash is the payload hash to sign; "" is the body's SHA-256. For S3
	// it is also sent as X-Amz-Content-Sha256.
	hash    string
	headers map[string]string
}

// sign signs r for e with creds and returns a factory of identical
// requests (the same bytes on the wire, for replays) and the signature.
func (e *env) sign(t *testing.T, creds aws.Credentials, r signedReq) (func() *http.Request, string) {
	t.Helper()
	req, err := http.NewRequest(r.method, e.url+r.path, bytes.NewReader(r.body))
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range r.headers {
		req.Header.Set(k, v)
	}
	hash := r.hash
	if hash == "" {
		hash = sha256Hex(r.body)
	}
	if r.service == "s3" || r.hash != "" {
		req.Header.Set("X-Amz-Content-Sha256", hash)
	}
	opt := func(o *v4.SignerOptions) { o.DisableURIPathEscaping = r.service == "s3" }
	if err := v4.NewSigner().SignHTTP(context.Background(), creds, req, hash, r.service, testRegion, time.Now(), opt); err != nil {
		t.Fatal(err)
	}
	_, sig := signatureOf(t, req.Header.Get("Authorization"))
	return func() *http.Request {
		c := req.Clone(context.Background())
		c.Body = io.NopCloser(bytes.NewReader(r.body))
		return c
	}, sig
}

// answer is what the gateway said, decoded from any of the error shapes.
type answer struct {
	status    int
	code, msg string
	header    http.Header
	raw       string
	requestID string
}

func send(t *testing.T, req *http.Request) answer {
	t.Helper()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	a := answer{status: resp.StatusCode, header: resp.Header, raw: string(raw), requestID: resp.Header.Get("X-Jitgate-Request-Id")}
	var x struct{ Code, Message string }
	var q struct {
		Error struct{ Code, Message string }
	}
	var j struct {
		Type    string `json:"__type"`
		Message string `json:"message"`
	}
	switch {
	case json.Unmarshal(raw, &j) == nil:
		a.code, a.msg = j.Type, j.Message
	case xml.Unmarshal(raw, &q) == nil && q.Error.Code != "":
		a.code, a.msg = q.Error.Code, q.Error.Message
	case xml.Unmarshal(raw, &x) == nil:
		a.code, a.msg = x.Code, x.Message
	}
	return a
}

// refusals returns the security.refused events published.
func refusals(t *testing.T, outs []bus.Output) []*schemas.SecurityRefused {
	t.Helper()
	var out []*schemas.SecurityRefused
	for _, o := range outs {
		if o.Envelope.Type != schemas.TypeSecurityRefused {
			continue
		}
		if o.Topic != schemas.TopicSecurity {
			t.Errorf("security.refused on topic %s", o.Topic)
		}
		r, err := schemas.DecodeAs[*schemas.SecurityRefused](o.Envelope)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, r)
	}
	return out
}

func countType(outs []bus.Output, typ schemas.Type) int {
	n := 0
	for _, o := range outs {
		if o.Envelope.Type == typ {
			n++
		}
	}
	return n
}

// TestSignatureCoverage: inputs the signature does not cover are refused
// before anything is published but the security event, and the same
// request signed properly goes through.
func TestSignatureCoverage(t *testing.T) {
	e := newEnv(t, envOpts{})
	e.pub.setRespond(ok(""))
	creds := e.agentCreds("agent-1")
	copyObject := signedReq{method: http.MethodPut, path: "/logs/copy.txt", service: "s3"}
	listTables := signedReq{method: http.MethodPost, path: "/", service: "dynamodb", body: []byte(`{}`),
		headers: map[string]string{"X-Amz-Target": "DynamoDB_20120810.ListTables", "Content-Type": "application/x-amz-json-1.0"}}
	unsignedPayload := listTables
	unsignedPayload.hash = sigv4.UnsignedPayload
	tests := []struct {
		name string
		req  signedReq
		// after runs on the signed request (adds what the signature misses).
		after   func(*http.Request)
		status  int
		code    string
		msg     []string
		refused bool
	}{
		{name: "s3 put signed as sent", req: copyObject, status: http.StatusOK},
		{name: "unsigned x-amz-copy-source", req: copyObject, after: func(r *http.Request) { r.Header.Set("X-Amz-Copy-Source", "/secrets/key.pem") },
			status: http.StatusForbidden, code: "AccessDenied", msg: []string{"x-amz-copy-source", "sign every x-amz-* header"}, refused: true},
		{name: "unsigned x-amz-acl", req: copyObject, after: func(r *http.Request) { r.Header.Set("X-Amz-Acl", "public-read") },
			status: http.StatusForbidden, code: "AccessDenied", msg: []string{"x-amz-acl"}, refused: true},
		{name: "dynamodb with its body hash", req: listTables, status: http.StatusOK},
		{name: "unsigned payload to dynamodb", req: unsignedPayload,
			status: http.StatusBadRequest, code: "InvalidRequest", msg: []string{"UNSIGNED-PAYLOAD", "only for S3", "sign the body's SHA-256"}, refused: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e.pub.reset()
			build, _ := e.sign(t, creds, tt.req)
			req := build()
			if tt.after != nil {
				tt.after(req)
			}
			a := send(t, req)
			if a.status != tt.status || a.code != tt.code {
				t.Fatalf("answered %d %s %q, want %d %s", a.status, a.code, a.msg, tt.status, tt.code)
			}
			for _, m := range tt.msg {
				if !strings.Contains(a.msg, m) {
					t.Errorf("message %q lacks %q", a.msg, m)
				}
			}
			outs := e.flushDoor()
			refused := refusals(t, outs)
			if !tt.refused {
				if len(refused) != 0 || countType(outs, schemas.TypeRequestReceived) != 1 {
					t.Fatalf("accepted request published %d refusals, %d requests", len(refused), countType(outs, schemas.TypeRequestReceived))
				}
				return
			}
			if countType(outs, schemas.TypeRequestReceived) != 0 || len(e.pub.signatures()) != 0 {
				t.Errorf("a refused request was published")
			}
			if len(refused) != 1 || refused[0].Kind != schemas.SecurityUnsignedInput || refused[0].Stage != "ingress" ||
				refused[0].Principal == nil || refused[0].Principal.Subject != "agent-1" || refused[0].Source != "127.0.0.1" {
				t.Fatalf("security events %+v", refused)
			}
		})
	}
}

// TestSigV2Refused: boto3 and AWS CLI v1 presign S3 URLs with SigV2 by
// default; the agent learns how to presign instead of "not signed".
func TestSigV2Refused(t *testing.T) {
	e := newEnv(t, envOpts{})
	creds := e.agentCreds("agent-1")
	tests := []struct {
		name  string
		build func() *http.Request
		msg   string
	}{
		{"presigned url", func() *http.Request {
			r, _ := http.NewRequest(http.MethodGet, e.url+"/logs/report.csv?AWSAccessKeyId="+creds.AccessKeyID+
				"&Signature=bm90LWEtc2lnbmF0dXJl&Expires=1893456000&x-amz-security-token=tok", nil)
			return r
		}, "SigV2 presigned URLs are not accepted; presign with signature_version s3v4"},
		{"presigned url at a health path", func() *http.Request {
			r, _ := http.NewRequest(http.MethodGet, e.url+"/healthz?AWSAccessKeyId=AKID&Signature=c2ln&Expires=1893456000", nil)
			return r
		}, "SigV2 presigned URLs are not accepted"},
		{"authorization header", func() *http.Request {
			r, _ := http.NewRequest(http.MethodGet, e.url+"/logs/report.csv", nil)
			r.Header.Set("Authorization", "AWS "+creds.AccessKeyID+":bm90LWEtc2lnbmF0dXJl")
			return r
		}, "sign with SigV4"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := send(t, tt.build())
			if a.status != http.StatusBadRequest || a.code != "InvalidRequest" || !strings.Contains(a.msg, tt.msg) {
				t.Fatalf("answered %d %s %q, want 400 InvalidRequest containing %q", a.status, a.code, a.msg, tt.msg)
			}
		})
	}
	if n := len(e.pub.published()); n != 0 {
		t.Errorf("%d events published", n)
	}
}

// TestForwardsOnlySignedHeaders: unsigned headers that are not on the
// short allow-list never reach the request event (the executor re-signs
// what it gets).
func TestForwardsOnlySignedHeaders(t *testing.T) {
	e := newEnv(t, envOpts{})
	e.pub.setRespond(ok(""))
	build, _ := e.sign(t, e.agentCreds("agent-1"), signedReq{method: http.MethodGet, path: "/logs/a.txt", service: "s3",
		headers: map[string]string{"Range": "bytes=0-9"}})
	req := build()
	for k, v := range map[string]string{"X-Amzn-Trace-Id": "Root=1-abc", "Cookie": "session=secret", "Content-Type": "text/html",
		"X-Forwarded-Host": "evil.example", "Accept-Language": "en", "User-Agent": "curl/8"} {
		req.Header.Set(k, v)
	}
	if a := send(t, req); a.status != http.StatusOK {
		t.Fatalf("answered %d %s", a.status, a.raw)
	}
	_, ev := e.pub.lastRequest(t)
	got := map[string]bool{}
	for _, h := range ev.HTTP.Headers {
		got[strings.ToLower(h.Name)] = true
	}
	for _, want := range []string{"range", "x-amz-content-sha256", "x-amzn-trace-id", "user-agent"} {
		if !got[want] {
			t.Errorf("header %s not forwarded (got %v)", want, got)
		}
	}
	for _, dropped := range []string{"cookie", "content-type", "x-forwarded-host", "accept-language", "authorization", "x-amz-security-token"} {
		if got[dropped] {
			t.Errorf("unsigned header %s forwarded", dropped)
		}
	}
}
