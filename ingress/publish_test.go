package ingress

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/jitgate/jitgate/internal/bus"
	"github.com/jitgate/jitgate/internal/sigv4"
	"github.com/jitgate/jitgate/schemas"
)

// credentialHeaders never reach Kafka.
var credentialHeaders = []string{"authorization", "x-amz-date", "x-amz-security-token"}

// checkNoSecrets fails if any published event carries the session's
// secret, its token or a request signature.
func checkNoSecrets(t *testing.T, outs []bus.Output, secrets ...string) {
	t.Helper()
	for _, o := range outs {
		raw, err := o.Envelope.Marshal()
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range secrets {
			if s != "" && bytes.Contains(raw, []byte(s)) {
				t.Errorf("%s event carries a credential (%d characters)", o.Envelope.Type, len(s))
			}
		}
	}
}

func signatureOf(t *testing.T, authz string) (*sigv4.Authorization, string) {
	t.Helper()
	a, err := sigv4.ParseAuthorization(authz)
	if err != nil {
		t.Fatalf("Authorization %q: %v", authz, err)
	}
	return a, a.Signature
}

func TestRequestReceivedSigned(t *testing.T) {
	fixed := time.Now()
	e := newEnv(t, envOpts{now: func() time.Time { return fixed }, wait: 20 * time.Second})
	creds := e.agentCreds("agent-1")
	e.pub.setRespond(ok(""))
	body := []byte("hello, bucket")
	_, err := e.s3(static(creds)).PutObject(context.Background(), &s3.PutObjectInput{
		Bucket: aws.String("logs"), Key: aws.String("app/1.txt"), Body: bytes.NewReader(body),
		ContentType: aws.String("text/plain"), Metadata: map[string]string{"owner": "team-a"},
	})
	if err != nil {
		t.Fatal(err)
	}
	reqHdr, _, _ := e.rec.last()
	auth, sig := signatureOf(t, reqHdr.Get("Authorization"))
	env, ev := e.pub.lastRequest(t)
	outs := e.pub.published()
	if len(outs) != 1 || outs[0].Topic != schemas.TopicRequests || (outs[0].Key != "" && outs[0].Key != env.RequestID) {
		t.Fatalf("published %+v", outs)
	}
	if len(env.RequestID) != 36 || env.Producer != schemas.ProducerName(schemas.RoleIngress, testReplica) {
		t.Errorf("envelope request id %q producer %q", env.RequestID, env.Producer)
	}
	// Sealed: a decider judges only requests an ingress wrote.
	if err := schemas.Verify(env, testHoldsKey); err != nil {
		t.Errorf("request.received does not verify under the holds key: %v", err)
	}
	checkNoSecrets(t, outs, creds.SecretAccessKey, creds.SessionToken, sig)
	// The replay record travels in the same publish, as a digest only.
	sigs := e.pub.signatures()
	if len(sigs) != 1 || sigs[0].Envelope.RequestID != "" || sigs[0].Envelope.Type != schemas.TypeSignatureSeen {
		t.Fatalf("signature events %+v", sigs)
	}
	checkNoSecrets(t, sigs, creds.SecretAccessKey, creds.SessionToken, sig)
	signedAt, _ := time.Parse("20060102T150405Z", reqHdr.Get("X-Amz-Date"))
	if seen, err := schemas.DecodeAs[*schemas.SignatureSeen](sigs[0].Envelope); err != nil || seen.Digest != sha256Hex([]byte(sig)) ||
		!seen.Expires.Equal(signedAt.Add(sigv4.MaxSkew)) || seen.Replica != testReplica {
		t.Errorf("signature.seen %+v (%v), want expiry %s", seen, err, signedAt.Add(sigv4.MaxSkew))
	}

	for _, h := range ev.HTTP.Headers {
		if slices.Contains(credentialHeaders, strings.ToLower(h.Name)) {
			t.Errorf("header %s published", h.Name)
		}
	}
	hdr := http.Header{}
	for _, h := range ev.HTTP.Headers {
		hdr.Add(h.Name, h.Value)
	}
	if hdr.Get("X-Amz-Meta-Owner") != "team-a" || hdr.Get("Content-Type") != "text/plain" || hdr.Get("X-Amz-Content-Sha256") == "" {
		t.Errorf("headers kept: %v", hdr)
	}
	wantSigned := slices.DeleteFunc(slices.Clone(auth.SignedHeaders), func(h string) bool { return slices.Contains(credentialHeaders, h) })
	if !slices.Equal(ev.HTTP.SignedHeaders, wantSigned) || !slices.Contains(wantSigned, "host") || len(wantSigned) == len(auth.SignedHeaders) {
		t.Errorf("signed headers %v, want %v (agent signed %v)", ev.HTTP.SignedHeaders, wantSigned, auth.SignedHeaders)
	}

	want := schemas.RequestReceived{
		ReplyTo:   testReplica,
		Principal: schemas.Principal{Subject: "agent-1", Issuer: e.iss.URL(), Groups: []string{"agents"}},
		SessionID: creds.AccessKeyID, Role: testRole, Source: "127.0.0.1",
		Service: "s3", Operation: "PutObject", Protocol: "rest-xml", SigningName: "s3", Region: testRegion,
		Deadline: fixed.Add(20 * time.Second),
	}
	got := *ev
	got.Params, got.HTTP = nil, schemas.HTTPRequest{}
	gotJSON, _ := json.Marshal(got)
	wantJSON, _ := json.Marshal(want)
	if !bytes.Equal(gotJSON, wantJSON) {
		t.Errorf("event\n got %s\nwant %s", gotJSON, wantJSON)
	}
	var params map[string]any
	if err := json.Unmarshal(ev.Params, &params); err != nil {
		t.Fatal(err)
	}
	if params["Bucket"] != "logs" || params["Key"] != "app/1.txt" || params["ContentType"] != "text/plain" {
		t.Errorf("params %s", ev.Params)
	}
	if ev.HTTP.Method != http.MethodPut || ev.HTTP.Path != "/logs/app/1.txt" || !bytes.Equal(ev.HTTP.Body, body) ||
		ev.HTTP.BodySize != int64(len(body)) || ev.HTTP.BodyChunks != 0 {
		t.Errorf("http %s %s body %q size %d chunks %d", ev.HTTP.Method, ev.HTTP.Path, ev.HTTP.Body, ev.HTTP.BodySize, ev.HTTP.BodyChunks)
	}
}

func TestRequestReceivedPresigned(t *testing.T) {
	e := newEnv(t, envOpts{})
	creds := e.agentCreds("agent-1")
	e.pub.setRespond(ok("object body"))
	ps, err := s3.NewPresignClient(e.s3(static(creds))).PresignGetObject(context.Background(), &s3.GetObjectInput{
		Bucket: aws.String("logs"), Key: aws.String("app/2.txt"), ResponseContentType: aws.String("text/csv"),
	})
	if err != nil {
		t.Fatal(err)
	}
	u, err := url.Parse(ps.URL)
	if err != nil {
		t.Fatal(err)
	}
	status, body := get(t, ps.URL)
	if status != http.StatusOK || body != "object body" {
		t.Fatalf("presigned GET: %d %s", status, body)
	}
	outs := e.pub.published()
	checkNoSecrets(t, outs, creds.SecretAccessKey, creds.SessionToken, u.Query().Get("X-Amz-Signature"))
	_, ev := e.pub.lastRequest(t)
	q, err := url.ParseQuery(ev.HTTP.RawQuery)
	if err != nil {
		t.Fatal(err)
	}
	for k := range q {
		if strings.HasPrefix(strings.ToLower(k), "x-amz-") {
			t.Errorf("presign parameter %s published", k)
		}
	}
	if q.Get("response-content-type") != "text/csv" {
		t.Errorf("raw query %q lost the call's own parameter", ev.HTTP.RawQuery)
	}
	if ev.Operation != "GetObject" || ev.SessionID != creds.AccessKeyID || !slices.Equal(ev.HTTP.SignedHeaders, []string{"host"}) {
		t.Errorf("operation %s session %s signed headers %v", ev.Operation, ev.SessionID, ev.HTTP.SignedHeaders)
	}
}

func TestRequestBodyChunks(t *testing.T) {
	e := newEnv(t, envOpts{})
	creds := static(e.agentCreds("agent-1"))
	e.pub.setRespond(ok(""))
	cases := []struct {
		name   string
		size   int
		chunks int // 0 = inline
	}{
		{"empty", 0, 0},
		{"exactly one chunk stays inline", bus.ChunkSize, 0},
		{"one byte over", bus.ChunkSize + 1, 2},
		{"three chunks", 2*bus.ChunkSize + 100, 3},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e.pub.reset()
			body := make([]byte, c.size)
			for i := range body {
				body[i] = byte(i*7 + i/251)
			}
			_, err := e.s3(creds).PutObject(context.Background(), &s3.PutObjectInput{
				Bucket: aws.String("logs"), Key: aws.String("big.bin"), Body: bytes.NewReader(body),
			})
			if err != nil {
				t.Fatal(err)
			}
			outs := e.pub.published()
			if len(outs) != 1+c.chunks {
				t.Fatalf("%d events, want %d", len(outs), 1+c.chunks)
			}
			head, ev := e.pub.lastRequest(t)
			if ev.HTTP.BodySize != int64(c.size) || ev.HTTP.BodyChunks != c.chunks {
				t.Errorf("body size %d chunks %d", ev.HTTP.BodySize, ev.HTTP.BodyChunks)
			}
			var got []byte
			if c.chunks == 0 {
				got = ev.HTTP.Body
			} else if len(ev.HTTP.Body) != 0 {
				t.Errorf("chunked body also inline (%d bytes)", len(ev.HTTP.Body))
			}
			for i, o := range outs {
				raw, err := o.Envelope.Marshal()
				if err != nil {
					t.Fatal(err)
				}
				if len(raw) > bus.MaxRecordBytes {
					t.Errorf("event %d is %d bytes, over the record limit", i, len(raw))
				}
				wantTopic := schemas.TopicBodies
				if o.Envelope.Type == schemas.TypeRequestReceived {
					wantTopic = schemas.TopicRequests
				}
				if o.Topic != wantTopic || o.Envelope.RequestID != head.RequestID || (o.Key != "" && o.Key != head.RequestID) {
					t.Errorf("event %d: topic %s request %s key %q", i, o.Topic, o.Envelope.RequestID, o.Key)
				}
				// The chunks stream first; the request that names them
				// follows once the whole body verified.
				if i == len(outs)-1 {
					if o.Envelope.Type != schemas.TypeRequestReceived {
						t.Errorf("last event is %s, want the request", o.Envelope.Type)
					}
					continue
				}
				chunk, err := schemas.DecodeAs[*schemas.RequestBodyChunk](o.Envelope)
				if err != nil {
					t.Fatal(err)
				}
				if chunk.Seq != i || chunk.Last != (i == len(outs)-2) {
					t.Errorf("chunk %d: seq %d last %v", i, chunk.Seq, chunk.Last)
				}
				// The sealed request binds each chunk by its digest, and
				// names where the first one lies.
				if d := bus.ChunkDigests([][]byte{chunk.Data}); len(ev.HTTP.ChunkSHA256) != c.chunks || ev.HTTP.ChunkSHA256[i] != d[0] {
					t.Errorf("chunk %d: digest %v, request names %v", i, d, ev.HTTP.ChunkSHA256)
				}
				if ev.HTTP.ChunksFrom == nil || ev.HTTP.ChunksFrom.Offset != 0 {
					t.Errorf("request names its first chunk at %+v", ev.HTTP.ChunksFrom)
				}
				got = append(got, chunk.Data...)
			}
			if !bytes.Equal(got, body) {
				t.Errorf("reassembled %d bytes differ from the %d sent", len(got), len(body))
			}
		})
	}
}

func TestRequestBodyLimit(t *testing.T) {
	e := newEnv(t, envOpts{maxBody: 1024})
	creds := static(e.agentCreds("agent-1"))
	e.pub.setRespond(ok(""))
	cases := []struct {
		name string
		size int
		code string // "" = accepted
	}{
		{"at the limit", 1024, ""},
		{"over the limit", 1025, "RequestEntityTooLarge"},
		{"far over the limit", 64 << 10, "RequestEntityTooLarge"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e.pub.reset()
			_, err := e.s3(creds).PutObject(context.Background(), &s3.PutObjectInput{
				Bucket: aws.String("logs"), Key: aws.String("k"), Body: bytes.NewReader(make([]byte, c.size)),
			})
			n := len(e.pub.published())
			if c.code == "" {
				if err != nil || n != 1 {
					t.Fatalf("err %v, %d events", err, n)
				}
				return
			}
			checkAPIError(t, e, err, http.StatusRequestEntityTooLarge, c.code, "1024-byte limit")
			if n != 0 {
				t.Errorf("%d events published for a refused body", n)
			}
		})
	}
}

// A publish the broker refused is "not queued"; one the ingress gave up
// waiting for may still land and run, so the agent is told only what is
// true: a read may be retried, a write's outcome is unknown.
func TestPublishFailure(t *testing.T) {
	e := newEnv(t, envOpts{})
	creds := static(e.agentCreds("agent-1"))
	read := func() error {
		_, err := e.s3(creds).ListObjectsV2(context.Background(), &s3.ListObjectsV2Input{Bucket: aws.String("logs")})
		return err
	}
	write := func() error {
		_, err := e.s3(creds).PutObject(context.Background(), &s3.PutObjectInput{
			Bucket: aws.String("logs"), Key: aws.String("k"), Body: strings.NewReader("x")})
		return err
	}
	unanswered := fmt.Errorf("bus: publish: %w", kgo.ErrRecordTimeout)
	cases := []struct {
		name   string
		err    error
		call   func() error
		status int
		code   string
		says   string
	}{
		{"refused by the broker", errors.New("broker down"), read, http.StatusServiceUnavailable, "ServiceUnavailable", "could not queue"},
		{"unconfirmed read", unanswered, read, http.StatusBadRequest, "RequestTimeout", "retrying it is safe"},
		{"unconfirmed write", unanswered, write, http.StatusConflict, "OutcomeUnknown", "may have started"},
		{"wait ran out", fmt.Errorf("bus: publish: %w", context.DeadlineExceeded), write, http.StatusConflict, "OutcomeUnknown", "may have started"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e.pub.err = tc.err
			err := tc.call()
			id := checkAPIError(t, e, err, tc.status, tc.code, tc.says)
			var apiErr interface{ ErrorMessage() string }
			if errors.As(err, &apiErr) && !strings.Contains(apiErr.ErrorMessage(), id) {
				t.Errorf("message %q does not name request %s", apiErr.ErrorMessage(), id)
			}
		})
	}
}

// S3 keys may hold "//" (and dots inside segments): the gateway must pass
// them on as the agent's call, not redirect to a cleaned path. Keys with
// "." or ".." segments are refused: front ends and emulators upstream may
// normalise them into another resource.
func TestUncleanPathsAreAWSCalls(t *testing.T) {
	e := newEnv(t, envOpts{})
	creds := static(e.agentCreds("agent-1"))
	e.pub.setRespond(ok(""))
	for _, key := range []string{"a/./b", "a/../b"} {
		t.Run(key, func(t *testing.T) {
			e.pub.reset()
			_, err := e.s3(creds).PutObject(context.Background(), &s3.PutObjectInput{
				Bucket: aws.String("logs"), Key: aws.String(key), Body: strings.NewReader("x"),
			})
			checkAPIError(t, e, err, http.StatusBadRequest, "InvalidRequest", "'..' path segments are not accepted through the gateway")
			for _, o := range e.pub.published() {
				if o.Envelope.Type == schemas.TypeRequestReceived {
					t.Errorf("key %q was published as a request", key)
				}
			}
		})
	}
	for _, key := range []string{"a//b", "dir/", "/lead", "a.../..b/.c"} {
		t.Run(key, func(t *testing.T) {
			_, err := e.s3(creds).PutObject(context.Background(), &s3.PutObjectInput{
				Bucket: aws.String("logs"), Key: aws.String(key), Body: strings.NewReader("x"),
			})
			if err != nil {
				t.Fatal(err)
			}
			_, ev := e.pub.lastRequest(t)
			var params struct{ Bucket, Key string }
			if err := json.Unmarshal(ev.Params, &params); err != nil {
				t.Fatal(err)
			}
			if ev.Operation != "PutObject" || params.Bucket != "logs" || params.Key != key {
				t.Errorf("identified %s %+v", ev.Operation, params)
			}
		})
	}
}

// Health probes are unsigned; a signed GET /healthz is an S3 call on the
// bucket "healthz".
func TestHealthProbes(t *testing.T) {
	e := newEnv(t, envOpts{})
	creds := static(e.agentCreds("agent-1"))
	e.pub.setRespond(ok(`<?xml version="1.0"?><ListBucketResult><Name>healthz</Name></ListBucketResult>`))
	if status, body := get(t, e.url+"/healthz"); status != http.StatusOK || strings.TrimSpace(body) != "ok" {
		t.Errorf("unsigned /healthz: %d %q", status, body)
	}
	if status, body := get(t, e.url+"/readyz"); status != http.StatusServiceUnavailable {
		t.Errorf("unsigned /readyz of an unattached gateway: %d %q", status, body)
	}
	for _, bucket := range []string{"healthz", "readyz"} {
		out, err := e.s3(creds).ListObjectsV2(context.Background(), &s3.ListObjectsV2Input{Bucket: aws.String(bucket)})
		if err != nil {
			t.Fatalf("signed GET /%s: %v", bucket, err)
		}
		_, ev := e.pub.lastRequest(t)
		if ev.Operation != "ListObjectsV2" || !strings.Contains(string(ev.Params), `"Bucket":"`+bucket+`"`) || aws.ToString(out.Name) != "healthz" {
			t.Errorf("signed GET /%s published %s %s", bucket, ev.Operation, ev.Params)
		}
	}
	if n := len(e.pub.published()); n != 2 {
		t.Errorf("%d events, want the two signed calls", n)
	}
}
