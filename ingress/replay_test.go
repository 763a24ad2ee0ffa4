package ingress

import (
	"bytes"
	"context"
	"crypto/sha256"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/jitgate/jitgate/internal/bus"
	"github.com/jitgate/jitgate/internal/ids"
	"github.com/jitgate/jitgate/schemas"
)

// putItemReq changes state: its signature is single-use.
var putItemReq = signedReq{method: http.MethodPost, path: "/", service: "dynamodb",
	body:    []byte(`{"TableName":"jobs","Item":{"id":{"S":"1"}}}`),
	headers: map[string]string{"X-Amz-Target": "DynamoDB_20120810.PutItem", "Content-Type": "application/x-amz-json-1.0"}}

// listTablesReq reads: it may repeat while its signature is valid.
var listTablesReq = signedReq{method: http.MethodPost, path: "/", service: "dynamodb", body: []byte(`{}`),
	headers: map[string]string{"X-Amz-Target": "DynamoDB_20120810.ListTables", "Content-Type": "application/x-amz-json-1.0"}}

// checkReplayRefused asserts the answer to a replay and its security event.
func checkReplayRefused(t *testing.T, a answer, msg string) {
	t.Helper()
	if a.status != http.StatusForbidden || a.code != "AccessDenied" || !strings.Contains(a.msg, msg) {
		t.Fatalf("replay answered %d %s %q, want 403 AccessDenied containing %q", a.status, a.code, a.msg, msg)
	}
}

func TestReplayRefusedAtSameReplica(t *testing.T) {
	e := newEnv(t, envOpts{})
	e.pub.setRespond(ok(`{}`))
	build, sig := e.sign(t, e.agentCreds("agent-1"), putItemReq)
	if a := send(t, build()); a.status != http.StatusOK {
		t.Fatalf("first use answered %d %s", a.status, a.raw)
	}
	e.pub.reset()
	a := send(t, build())
	checkReplayRefused(t, a, "signed requests for dynamodb:PutItem are single-use: sign a new request")
	outs := e.flushDoor()
	if countType(outs, schemas.TypeRequestReceived) != 0 || len(e.pub.signatures()) != 0 {
		t.Errorf("the replay was published")
	}
	refused := refusals(t, outs)
	if len(refused) != 1 || refused[0].Kind != schemas.SecurityReplay || refused[0].Service != "dynamodb" ||
		refused[0].Operation != "PutItem" || refused[0].Principal == nil || refused[0].Principal.Subject != "agent-1" {
		t.Fatalf("security events %+v", refused)
	}
	checkNoSecrets(t, outs, sig)
}

// TestHeaderSignedReadMayRepeat: botocore signs two identical calls in one
// second identically (it adds amz-sdk-invocation-id after signing); reads
// repeat, as AWS allows.
func TestHeaderSignedReadMayRepeat(t *testing.T) {
	e := newEnv(t, envOpts{})
	e.pub.setRespond(ok(`{"TableNames":[]}`))
	build, _ := e.sign(t, e.agentCreds("agent-1"), listTablesReq)
	for i := range 3 {
		if a := send(t, build()); a.status != http.StatusOK {
			t.Fatalf("use %d answered %d %s", i+1, a.status, a.raw)
		}
	}
	if n := len(refusals(t, e.pub.published())); n != 0 || len(e.pub.signatures()) != 0 {
		t.Errorf("%d refusals, %d signatures shared for a read", n, len(e.pub.signatures()))
	}
}

func TestReplayRefusedAtAnotherReplica(t *testing.T) {
	cfg := startBus(t)
	respondFromBus(t, cfg, func(requestID string, ev *schemas.RequestReceived) []bus.Output {
		env, err := schemas.NewEnvelope(ids.New(), requestID, "test", time.Now(), &schemas.ResponseReady{ReplyTo: ev.ReplyTo,
			Outcome: schemas.OutcomeExecuted, Response: &schemas.HTTPResponse{Status: http.StatusOK, Body: []byte(`{}`), BodySize: 2}})
		if err != nil {
			panic(err)
		}
		return []bus.Output{{Topic: schemas.TopicResponses, ReplyTo: ev.ReplyTo, Envelope: env}}
	})
	a := newEnv(t, envOpts{bus: &cfg, replica: "ingress-a"})
	b := newEnv(t, envOpts{bus: &cfg, replica: "ingress-b", sealer: a.sealer})
	for _, e := range []*env{a, b} {
		eventually(t, "readiness", func() bool { s, _ := get(t, e.url+"/readyz"); return s == http.StatusOK })
	}
	build, sig := a.sign(t, a.agentCreds("agent-1"), putItemReq)
	if ans := send(t, build()); ans.status != http.StatusOK {
		t.Fatalf("first use at replica a answered %d %s", ans.status, ans.raw)
	}
	// The race window: replica b refuses the replay once its tail has read
	// a's signature.seen (milliseconds). Wait for that, not for a time.
	d := sigDigest(sha256.Sum256([]byte(sig)))
	eventually(t, "replica b to learn the signature", func() bool { return b.g.seen.has(d, time.Now()) })
	// The Host header is signed: replica b sees the request as signed for
	// a's address, exactly as a load balancer in front of both forwards it.
	atB := build()
	atB.URL.Host = strings.TrimPrefix(b.url, "http://")
	atB.Host = strings.TrimPrefix(a.url, "http://")
	checkReplayRefused(t, send(t, atB), "already used")
	checkReplayRefused(t, send(t, build()), "already used")
}

// TestPresignedReuse: a presigned read may be used again until it expires;
// a presigned write only once.
func TestPresignedReuse(t *testing.T) {
	e := newEnv(t, envOpts{})
	e.pub.setRespond(ok("object body"))
	presign := s3.NewPresignClient(e.s3(static(e.agentCreds("agent-1"))))
	ctx := context.Background()

	get, err := presign.PresignGetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("logs"), Key: aws.String("report.csv")})
	if err != nil {
		t.Fatal(err)
	}
	for i := range 3 {
		req, _ := http.NewRequest(http.MethodGet, get.URL, nil)
		if a := send(t, req); a.status != http.StatusOK {
			t.Fatalf("presigned GET use %d answered %d %s", i+1, a.status, a.raw)
		}
	}

	put, err := presign.PresignPutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("logs"), Key: aws.String("upload.csv")})
	if err != nil {
		t.Fatal(err)
	}
	use := func() answer {
		req, _ := http.NewRequest(put.Method, put.URL, bytes.NewReader([]byte("a,b\n")))
		for k, vs := range put.SignedHeader {
			if !strings.EqualFold(k, "Host") {
				req.Header[k] = vs
			}
		}
		return send(t, req)
	}
	if a := use(); a.status != http.StatusOK {
		t.Fatalf("presigned PUT first use answered %d %s", a.status, a.raw)
	}
	e.pub.reset()
	checkReplayRefused(t, use(), "presigned URLs for s3:PutObject are single-use: presign a new URL")
	if refused := refusals(t, e.flushDoor()); len(refused) != 1 || refused[0].Kind != schemas.SecurityReplay {
		t.Fatalf("security events %+v", refused)
	}
}

func TestSignatureSetExpires(t *testing.T) {
	s := newSignatureSet()
	now := time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)
	d := sigDigest(sha256.Sum256([]byte("sig")))
	steps := []struct {
		name   string
		at     time.Time
		fresh  bool
		remain int
	}{
		{"first use", now, true, 1},
		{"replay inside the window", now.Add(14 * time.Minute), false, 1},
		{"after expiry the digest is free again", now.Add(16 * time.Minute), true, 1},
		{"swept once expired", now.Add(time.Hour), true, 1}, // the old entry was swept, a new one held
	}
	for _, st := range steps {
		if got := s.claim(d, st.at.Add(15*time.Minute), st.at); got != st.fresh {
			t.Fatalf("%s: claim = %v, want %v", st.name, got, st.fresh)
		}
		if len(s.until) != st.remain {
			t.Fatalf("%s: %d digests held", st.name, len(s.until))
		}
	}
	other := sigDigest(sha256.Sum256([]byte("other")))
	s.note(other, now.Add(2*time.Hour), now.Add(time.Hour))
	s.claim(d, now.Add(3*time.Hour), now.Add(3*time.Hour)) // sweeps both expired entries
	if s.has(other, now.Add(3*time.Hour)) || len(s.until) != 1 {
		t.Fatalf("expired digests kept: %d", len(s.until))
	}
}
