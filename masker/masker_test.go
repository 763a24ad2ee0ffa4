package masker

import (
	"bytes"
	"context"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jitgate/jitgate/internal/bus"
	"github.com/jitgate/jitgate/schemas"
)

const stsAnswer = `<AssumeRoleResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><AssumeRoleResult><Credentials>` +
	`<AccessKeyId>ASIAREAL</AccessKeyId><SecretAccessKey>real-secret</SecretAccessKey><SessionToken>real-token</SessionToken>` +
	`<Expiration>2026-11-26T13:00:00Z</Expiration></Credentials></AssumeRoleResult></AssumeRoleResponse>`

func newMasker(t *testing.T, cfg bus.Config) *Masker {
	t.Helper()
	if len(cfg.Brokers) == 0 {
		cfg.Brokers = []string{"127.0.0.1:1"}
	}
	k, err := New(Config{Bus: cfg, Instance: "test"}, Deps{})
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func message(t *testing.T, p schemas.Payload) bus.Message {
	t.Helper()
	env, err := schemas.NewEnvelope("ev-"+string(p.EventType()), "req-1", "test", time.Now(), p)
	if err != nil {
		t.Fatal(err)
	}
	return bus.Message{Topic: schemas.TopicExecutions, Envelope: env}
}

func ready(t *testing.T, res bus.Result) *schemas.ResponseReady {
	t.Helper()
	if len(res.Out) == 0 || res.Out[0].Envelope.Type != schemas.TypeResponseReady {
		t.Fatalf("no response.ready in %d outputs", len(res.Out))
	}
	if res.Out[0].Topic != schemas.TopicResponses || res.Out[0].ReplyTo != "ingress-1" {
		t.Fatalf("reply goes to %s/%s", res.Out[0].Topic, res.Out[0].ReplyTo)
	}
	r, err := schemas.DecodeAs[*schemas.ResponseReady](res.Out[0].Envelope)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func finished(ct string, body []byte) *schemas.ExecutionFinished {
	return &schemas.ExecutionFinished{ReplyTo: "ingress-1", Service: "sts", Operation: "AssumeRole", Protocol: "query",
		Response: schemas.HTTPResponse{Status: 200, BodySize: int64(len(body)), Body: body,
			Headers: []schemas.Header{{Name: "Content-Type", Value: ct}, {Name: "Content-Length", Value: "999"}}}}
}

func TestCredentialsAreAlwaysMasked(t *testing.T) {
	k := newMasker(t, bus.Config{})
	res, err := k.Handle(context.Background(), message(t, finished("text/xml", []byte(stsAnswer))))
	if err != nil {
		t.Fatal(err)
	}
	r := ready(t, res)
	body := string(r.Response.Body)
	if r.Outcome != schemas.OutcomeExecuted || strings.Contains(body, "real-secret") || strings.Contains(body, "real-token") {
		t.Fatalf("outcome %s, body %s", r.Outcome, body)
	}
	if !strings.Contains(body, "ASIAREAL") {
		t.Error("the access key id is not a secret and should stay visible")
	}
	if len(r.Masked) != 3 || r.Masked[2] != "rule:builtin:credentials=2" {
		t.Errorf("masked fields = %v", r.Masked)
	}
	h := http.Header{}
	for _, x := range r.Response.Headers {
		h.Add(x.Name, x.Value)
	}
	if h.Get("Content-Length") != "" && h.Get("Content-Length") != strconv.Itoa(len(r.Response.Body)) {
		t.Errorf("Content-Length %s does not match the masked body (%d bytes)", h.Get("Content-Length"), len(r.Response.Body))
	}
}

func TestUnparsableBodyIsWithheld(t *testing.T) {
	k := newMasker(t, bus.Config{})
	res, err := k.Handle(context.Background(), message(t, finished("application/json", []byte(`{"SecretAccessKey": "x"`))))
	if err != nil {
		t.Fatal(err)
	}
	r := ready(t, res)
	if r.Outcome != schemas.OutcomeError || r.Response != nil || r.Error == nil || r.Error.Status != http.StatusBadGateway {
		t.Fatalf("unparsable body passed: %+v", r)
	}
}

func TestTransportErrorBecomesRetryableError(t *testing.T) {
	k := newMasker(t, bus.Config{})
	fin := finished("", nil)
	fin.Error = "dial tcp: connection refused"
	r := ready(t, mustHandle(t, k, message(t, fin)))
	if r.Error == nil || r.Error.Code != "ServiceUnavailable" || !strings.Contains(r.Error.Message, "req-1") {
		t.Fatalf("error = %+v", r.Error)
	}
}

func mustHandle(t *testing.T, k *Masker, m bus.Message) bus.Result {
	t.Helper()
	res, err := k.Handle(context.Background(), m)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

func TestBinaryChunksStreamThrough(t *testing.T) {
	k := newMasker(t, bus.Config{})
	fin := finished("application/octet-stream", nil)
	fin.Service, fin.Operation, fin.Protocol = "s3", "GetObject", "rest-xml"
	fin.Response.BodyChunks, fin.Response.BodySize = 2, 10
	r := ready(t, mustHandle(t, k, message(t, fin)))
	if r.Response.BodyChunks != 2 || len(r.Response.Body) != 0 {
		t.Fatalf("ready = %+v", r.Response)
	}
	res := mustHandle(t, k, message(t, &schemas.ResponseBodyChunk{ReplyTo: "ingress-1", Seq: 0, Data: []byte("hello")}))
	if len(res.Out) != 1 || res.Out[0].Topic != schemas.TopicResponses || res.Out[0].ReplyTo != "ingress-1" {
		t.Fatalf("binary chunk not passed on: %+v", res.Out)
	}
	res = mustHandle(t, k, message(t, &schemas.ResponseBodyChunk{ReplyTo: "ingress-1", Seq: 0, Data: []byte("secret"), Maskable: true}))
	if len(res.Out) != 0 {
		t.Fatal("a raw chunk of a maskable body was passed on unmasked")
	}
}

// A large JSON answer arrives in chunks; the masker reads them from the
// executions topic, masks the whole body and sends it on in chunks.
func TestLargeMaskableBodyIsReadWholeAndMasked(t *testing.T) {
	broker, err := bus.StartEmbedded(0, "")
	if err != nil {
		t.Fatal(err)
	}
	defer broker.Close()
	cfg := bus.Config{Brokers: broker.Addrs(), Partitions: 1, Replication: 1}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := bus.EnsureTopics(ctx, cfg); err != nil {
		t.Fatal(err)
	}
	var body bytes.Buffer
	body.WriteString(`{"roleCredentials":{"accessKeyId":"ASIA","secretAccessKey":"real-secret","sessionToken":"tok"},"pad":"`)
	body.WriteString(strings.Repeat("x", bus.ChunkSize+1000))
	body.WriteString(`"}`)
	parts := bus.Chunks(body.Bytes())
	fin := &schemas.ExecutionFinished{ReplyTo: "ingress-1", Service: "sso", Operation: "GetRoleCredentials", Protocol: "rest-json",
		Response: schemas.HTTPResponse{Status: 200, BodySize: int64(body.Len()), BodyChunks: len(parts),
			Headers: []schemas.Header{{Name: "Content-Type", Value: "application/json"}}}}
	tail, err := bus.NewTail(ctx, cfg, bus.FromEnd, nil, schemas.TopicExecutions)
	if err != nil {
		t.Fatal(err)
	}
	pub, err := bus.NewPublisher(cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer pub.Close()
	outs := []bus.Output{{Topic: schemas.TopicExecutions, Envelope: message(t, fin).Envelope}}
	for i, p := range parts {
		env, _ := schemas.NewEnvelope("chunk-"+strconv.Itoa(i), "req-1", "test", time.Now(), &schemas.ResponseBodyChunk{ReplyTo: "ingress-1", Seq: i, Data: p, Maskable: true})
		outs = append(outs, bus.Output{Topic: schemas.TopicExecutions, Envelope: env})
	}
	if err := pub.Publish(ctx, outs...); err != nil {
		t.Fatal(err)
	}
	got := make(chan bus.Message, 1)
	go tail.Run(ctx, nil, func(m bus.Message) {
		if m.Envelope.Type == schemas.TypeExecutionFinished {
			got <- m
		}
	})
	res := checkPure(t, cfg, <-got) // the same chunks read twice: the same events
	r := ready(t, res)
	var masked []byte
	for _, o := range res.Out[1:] {
		c, err := schemas.DecodeAs[*schemas.ResponseBodyChunk](o.Envelope)
		if err != nil {
			t.Fatal(err)
		}
		masked = append(masked, c.Data...)
	}
	if r.Response.BodyChunks != len(res.Out)-1 || int64(len(masked)) != r.Response.BodySize {
		t.Fatalf("ready announces %d chunks / %d bytes, got %d chunks / %d bytes", r.Response.BodyChunks, r.Response.BodySize, len(res.Out)-1, len(masked))
	}
	if bytes.Contains(masked, []byte("real-secret")) || !bytes.Contains(masked, []byte(`"accessKeyId":"ASIA"`)) {
		t.Fatal("the large body was not masked")
	}
}
