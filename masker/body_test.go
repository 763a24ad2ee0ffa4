package masker

import (
	"bytes"
	"compress/gzip"
	"hash/crc32"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/fxamacker/cbor/v2"

	"github.com/jitgate/jitgate/internal/bus"
	"github.com/jitgate/jitgate/schemas"
)

func gzipped(t *testing.T, s string) []byte {
	t.Helper()
	var b bytes.Buffer
	w := gzip.NewWriter(&b)
	if _, err := w.Write([]byte(s)); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func cborOf(t *testing.T, v any) []byte {
	t.Helper()
	em, err := cbor.CoreDetEncOptions().EncMode()
	if err != nil {
		t.Fatal(err)
	}
	b, err := em.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// answer is one upstream response for the table below.
type answer struct {
	service, operation, protocol string
	headers                      []string // name, value, ...
	body                         []byte
}

func (a answer) finished() *schemas.ExecutionFinished {
	fin := &schemas.ExecutionFinished{ReplyTo: "ingress-1", Service: a.service, Operation: a.operation, Protocol: a.protocol,
		Response: schemas.HTTPResponse{Status: 200, BodySize: int64(len(a.body)), Body: a.body}}
	for i := 0; i+1 < len(a.headers); i += 2 {
		fin.Response.Headers = append(fin.Response.Headers, schemas.Header{Name: a.headers[i], Value: a.headers[i+1]})
	}
	return fin
}

// handled runs one answer through a masker and returns the agent's answer
// and any security.refused record published with it.
func handled(t *testing.T, k *Masker, a answer) (*schemas.ResponseReady, http.Header, *schemas.SecurityRefused) {
	t.Helper()
	res := mustHandle(t, k, message(t, a.finished()))
	r := ready(t, res)
	var refused *schemas.SecurityRefused
	for _, o := range res.Out[1:] {
		if o.Envelope.Type != schemas.TypeSecurityRefused {
			continue
		}
		if o.Topic != schemas.TopicSecurity || refused != nil {
			t.Fatalf("security event on %s, or twice", o.Topic)
		}
		var err error
		if refused, err = schemas.DecodeAs[*schemas.SecurityRefused](o.Envelope); err != nil {
			t.Fatal(err)
		}
	}
	var h http.Header
	if r.Response != nil {
		h = schemas.HTTPHeader(r.Response.Headers)
	}
	return r, h, refused
}

// TestMaskedOnEveryProtocolAndEncoding: CBOR and compressed answers are
// masked with their headers made consistent, or withheld with a
// security.refused record; none is passed on unread.
func TestMaskedOnEveryProtocolAndEncoding(t *testing.T) {
	glAccess := cborOf(t, map[string]any{"InstanceAccess": map[string]any{"InstanceId": "i-1",
		"Credentials": map[string]any{"UserName": "gl-user", "Secret": "ssh-key-SECRET"}}})
	secretJSON := `{"Name":"n","SecretString":"json-SECRET"}`
	tests := []struct {
		name     string
		a        answer
		secrets  []string // must not reach the agent
		keep     []string // must
		isCBOR   bool     // the agent's body must be well-formed CBOR
		crc32    bool     // X-Amz-Crc32 must be recomputed
		withheld string   // non-empty: withheld, and the message names this
	}{
		{
			name: "cbor with checksum headers",
			a: answer{service: "gamelift", operation: "GetInstanceAccess", protocol: protoCBOR, body: glAccess,
				headers: []string{"Content-Type", "application/cbor", "Smithy-Protocol", "rpc-v2-cbor", "Content-Length", "999",
					"X-Amz-Crc32", "1", "X-Amz-Checksum-Crc32", "AAAAAA=="}},
			secrets: []string{"SECRET"}, keep: []string{"gl-user"}, isCBOR: true, crc32: true,
		},
		{
			name:    "cbor without a content type, known by its protocol",
			a:       answer{service: "gamelift", operation: "GetInstanceAccess", protocol: protoCBOR, body: glAccess},
			secrets: []string{"SECRET"}, keep: []string{"gl-user"}, isCBOR: true,
		},
		{
			name: "cbor that does not parse",
			a: answer{service: "gamelift", operation: "GetInstanceAccess", protocol: protoCBOR, body: glAccess[:len(glAccess)-3],
				headers: []string{"Content-Type", "application/cbor"}},
			withheld: "could not be checked for secrets",
		},
		{
			name: "gzip json labelled octet-stream",
			a: answer{service: "secretsmanager", operation: "GetSecretValue", protocol: "json", body: gzipped(t, secretJSON),
				headers: []string{"Content-Type", "application/octet-stream", "Content-Encoding", "gzip", "Content-Length", "999"}},
			secrets: []string{"SECRET"}, keep: []string{`"Name":"n"`},
		},
		{
			name: "gzip json with its json type",
			a: answer{service: "secretsmanager", operation: "GetSecretValue", protocol: "json", body: gzipped(t, secretJSON),
				headers: []string{"Content-Type", "application/x-amz-json-1.1", "Content-Encoding", "gzip", "X-Amz-Crc32", "7"}},
			secrets: []string{"SECRET"}, keep: []string{`"Name":"n"`}, crc32: true,
		},
		{
			name: "gzip xml credentials",
			a: answer{service: "sts", operation: "AssumeRole", protocol: "query", body: gzipped(t, stsAnswer),
				headers: []string{"Content-Type", "text/xml", "Content-Encoding", "gzip"}},
			secrets: []string{"real-secret", "real-token"}, keep: []string{"ASIAREAL"},
		},
		{
			name: "gzip body without secrets is passed decoded",
			a: answer{service: "sqs", operation: "ListQueues", protocol: "json", body: gzipped(t, `{"QueueUrls":["https://q"]}`),
				headers: []string{"Content-Type", "application/x-amz-json-1.0", "Content-Encoding", "gzip"}},
			keep: []string{`{"QueueUrls":["https://q"]}`},
		},
		{
			name: "gzip cbor",
			a: answer{service: "gamelift", operation: "GetInstanceAccess", protocol: protoCBOR, body: gzipped(t, string(glAccess)),
				headers: []string{"Content-Type", "application/cbor", "Content-Encoding", "gzip"}},
			secrets: []string{"SECRET"}, keep: []string{"gl-user"}, isCBOR: true,
		},
		{
			name: "br withheld",
			a: answer{service: "secretsmanager", operation: "GetSecretValue", protocol: "json", body: []byte("\x1b\x2a\x00brotli"),
				headers: []string{"Content-Type", "application/x-amz-json-1.1", "Content-Encoding", "br"}},
			withheld: `Content-Encoding "br"`,
		},
		{
			name: "zstd withheld",
			a: answer{service: "secretsmanager", operation: "GetSecretValue", protocol: "json", body: []byte("\x28\xb5\x2f\xfdzstd"),
				headers: []string{"Content-Type", "application/octet-stream", "Content-Encoding", "zstd"}},
			withheld: `Content-Encoding "zstd"`,
		},
		{
			name: "unknown coding after gzip withheld",
			a: answer{service: "secretsmanager", operation: "GetSecretValue", protocol: "json", body: gzipped(t, secretJSON),
				headers: []string{"Content-Type", "application/json", "Content-Encoding", "x-foo", "Content-Encoding", "gzip"}},
			withheld: `Content-Encoding "x-foo,gzip"`,
		},
		{
			name: "corrupt gzip withheld",
			a: answer{service: "secretsmanager", operation: "GetSecretValue", protocol: "json", body: []byte(secretJSON),
				headers: []string{"Content-Type", "application/json", "Content-Encoding", "gzip"}},
			withheld: "encoding is corrupt",
		},
		// An API answer in a format the masker does not read is withheld,
		// never passed on unread: AWS's JSON front ends also speak CBOR
		// (application/x-amz-cbor-1.1) and Ion.
		{
			name: "aws cbor 1.1 is cbor",
			a: answer{service: "gamelift", operation: "GetInstanceAccess", protocol: "json", body: glAccess,
				headers: []string{"Content-Type", "application/x-amz-cbor-1.1"}},
			secrets: []string{"SECRET"}, keep: []string{"gl-user"}, isCBOR: true,
		},
		{
			name: "ion answer to a json call withheld",
			a: answer{service: "secretsmanager", operation: "GetSecretValue", protocol: "json", body: []byte("\xe0\x01\x00\xea json-SECRET"),
				headers: []string{"Content-Type", "application/x-amz-ion-1.0"}},
			withheld: "could not be checked for secrets",
		},
		{
			name: "octet-stream answer to a query call withheld",
			a: answer{service: "sts", operation: "AssumeRole", protocol: "query", body: []byte(stsAnswer),
				headers: []string{"Content-Type", "application/octet-stream"}},
			withheld: "could not be checked for secrets",
		},
		{
			name:     "untyped answer to a json call that is not json withheld",
			a:        answer{service: "secretsmanager", operation: "GetSecretValue", protocol: "json", body: []byte("\xa1lSecretStringkjson-SECRET")},
			withheld: "could not be checked for secrets",
		},
		{
			name:    "untyped json answer is sniffed and masked",
			a:       answer{service: "secretsmanager", operation: "GetSecretValue", protocol: "json", body: []byte(secretJSON)},
			secrets: []string{"SECRET"}, keep: []string{`"Name":"n"`},
		},
		{
			name: "text answer to a cbor call withheld",
			a: answer{service: "gamelift", operation: "GetInstanceAccess", protocol: protoCBOR, body: []byte("ssh-key-SECRET"),
				headers: []string{"Content-Type", "text/plain"}},
			withheld: "could not be checked for secrets",
		},
		{
			name: "decompression bomb withheld",
			a: answer{service: "secretsmanager", operation: "GetSecretValue", protocol: "json", body: gzipped(t, strings.Repeat(" ", 2<<20)),
				headers: []string{"Content-Type", "application/json", "Content-Encoding", "gzip"}},
			withheld: "decompresses to more than",
		},
	}
	k, err := New(Config{Bus: bus.Config{Brokers: []string{"127.0.0.1:1"}}, Instance: "test", MaxBody: 1 << 20}, Deps{})
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, h, refused := handled(t, k, tt.a)
			if tt.withheld != "" {
				if r.Outcome != schemas.OutcomeError || r.Response != nil || r.Error == nil || r.Error.Status != http.StatusBadGateway {
					t.Fatalf("not withheld: %+v", r)
				}
				if !strings.Contains(r.Error.Message, tt.withheld) || !strings.Contains(r.Error.Message, "req-1") {
					t.Errorf("message %q does not say %q and name the request", r.Error.Message, tt.withheld)
				}
				if refused == nil || refused.Kind != schemas.SecurityWithheldResponse || refused.Stage != "masker" ||
					refused.Service != tt.a.service || refused.Operation != tt.a.operation {
					t.Errorf("security record = %+v", refused)
				}
				return
			}
			if refused != nil {
				t.Errorf("security record for a masked answer: %+v", refused)
			}
			if r.Outcome != schemas.OutcomeExecuted || r.Response == nil {
				t.Fatalf("ready = %+v", r)
			}
			body := r.Response.Body
			for _, s := range tt.secrets {
				if bytes.Contains(body, []byte(s)) {
					t.Errorf("secret %q reached the agent: %q", s, body)
				}
			}
			for _, s := range tt.keep {
				if !bytes.Contains(body, []byte(s)) {
					t.Errorf("%q lost: %q", s, body)
				}
			}
			if len(tt.secrets) > 0 && len(r.Masked) == 0 {
				t.Error("masked fields not reported")
			}
			if h.Get("Content-Encoding") != "" {
				t.Errorf("Content-Encoding %q left on a decoded body", h.Get("Content-Encoding"))
			}
			if cl := h.Get("Content-Length"); cl != strconv.Itoa(len(body)) || r.Response.BodySize != int64(len(body)) {
				t.Errorf("Content-Length %q, body_size %d, body %d bytes", cl, r.Response.BodySize, len(body))
			}
			if h.Get("X-Amz-Checksum-Crc32") != "" {
				t.Error("x-amz-checksum-crc32 of the upstream's bytes kept")
			}
			if want := strconv.FormatUint(uint64(crc32.ChecksumIEEE(body)), 10); tt.crc32 && h.Get("X-Amz-Crc32") != want {
				t.Errorf("X-Amz-Crc32 = %q, want %s", h.Get("X-Amz-Crc32"), want)
			}
			if tt.isCBOR {
				if err := cbor.Wellformed(body); err != nil {
					t.Errorf("agent's CBOR body is not well-formed: %v", err)
				}
			}
		})
	}
}

// TestObjectEncodingPassesThrough: an S3 object's Content-Encoding is the
// stored object's; the masker neither decodes nor withholds it.
func TestObjectEncodingPassesThrough(t *testing.T) {
	k := newMasker(t, bus.Config{})
	obj := gzipped(t, `{"SecretString":"the customer's own data"}`)
	r, h, refused := handled(t, k, answer{service: "s3", operation: "GetObject", protocol: "rest-xml", body: obj,
		headers: []string{"Content-Type", "application/json", "Content-Encoding", "gzip"}})
	if refused != nil || r.Response == nil || !bytes.Equal(r.Response.Body, obj) || h.Get("Content-Encoding") != "gzip" {
		t.Fatalf("object changed: %+v", r)
	}
}

// TestSensitiveHook: Deps.Sensitive names are masked in JSON, XML and CBOR
// answers of that operation, with no masking rules.
func TestSensitiveHook(t *testing.T) {
	var asked []string
	k, err := New(Config{Bus: bus.Config{Brokers: []string{"127.0.0.1:1"}}, Instance: "test"}, Deps{
		Sensitive: func(service, operation string) []string {
			asked = append(asked, service+":"+operation)
			if service == "svc" && operation == "GetThing" {
				return []string{"ThingSecret"}
			}
			return nil
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, protocol, ct string
		body               []byte
	}{
		{"json", "json", "application/x-amz-json-1.1", []byte(`{"Thing":{"ThingSecret":"hook-SECRET","Id":"t-1"}}`)},
		{"xml", "query", "text/xml", []byte(`<GetThingResponse><GetThingResult><ThingSecret>hook-SECRET</ThingSecret><Id>t-1</Id></GetThingResult></GetThingResponse>`)},
		{"cbor", protoCBOR, "application/cbor", cborOf(t, map[string]any{"Thing": map[string]any{"ThingSecret": "hook-SECRET", "Id": "t-1"}})},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			asked = nil
			r, _, _ := handled(t, k, answer{service: "svc", operation: "GetThing", protocol: tt.protocol, body: tt.body,
				headers: []string{"Content-Type", tt.ct}})
			if r.Response == nil || bytes.Contains(r.Response.Body, []byte("SECRET")) || !bytes.Contains(r.Response.Body, []byte("t-1")) {
				t.Fatalf("ready = %+v", r)
			}
			if len(asked) != 1 || asked[0] != "svc:GetThing" {
				t.Errorf("hook asked %v", asked)
			}
			r, _, _ = handled(t, k, answer{service: "svc", operation: "OtherOp", protocol: tt.protocol, body: tt.body,
				headers: []string{"Content-Type", tt.ct}})
			if r.Response == nil || !bytes.Contains(r.Response.Body, []byte("hook-SECRET")) {
				t.Error("the hook's names were applied to another operation")
			}
		})
	}
}
