package ingress

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"

	"github.com/jitgate/jitgate/internal/session"
	"github.com/jitgate/jitgate/internal/sigv4"
	"github.com/jitgate/jitgate/schemas"
)

// doorReq is a request signed by hand, at a chosen time, with headers
// added after signing: what a client with broken or stolen credentials,
// or a stranger, sends.
type doorReq struct {
	method, path, service string
	body                  string
	headers               map[string]string
	after                 map[string]string // set once signed
	at                    time.Time         // signing time; zero: now
	// hash is the payload hash signed and sent as X-Amz-Content-Sha256;
	// "" signs the body's SHA-256 without declaring it (non-S3 clients).
	hash string
}

func (e *env) signAt(t *testing.T, creds aws.Credentials, d doorReq) *http.Request {
	t.Helper()
	req, err := http.NewRequest(d.method, e.url+d.path, strings.NewReader(d.body))
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range d.headers {
		req.Header.Set(k, v)
	}
	hash := d.hash
	if hash == "" {
		hash = sha256Hex([]byte(d.body))
	} else {
		req.Header.Set("X-Amz-Content-Sha256", hash)
	}
	at := d.at
	if at.IsZero() {
		at = time.Now()
	}
	if err := v4.NewSigner().SignHTTP(context.Background(), creds, req, hash, d.service, testRegion, at,
		func(o *v4.SignerOptions) { o.DisableURIPathEscaping = d.service == "s3" }); err != nil {
		t.Fatal(err)
	}
	for k, v := range d.after {
		req.Header.Set(k, v)
	}
	return req
}

// unsigned is a request with no signature at all.
func (e *env) unsigned(t *testing.T, method, path, contentType, body string) *http.Request {
	t.Helper()
	req, err := http.NewRequest(method, e.url+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	return req
}

// TestEveryAnswerAtTheDoorIsRecorded drives each way the ingress answers an
// agent without publishing its request (bad, missing or SigV2 signatures,
// forged or expired session tokens, bodies that do not match their
// signature, unsigned headers, calls it cannot identify or read one way
// only, replays, bodies too large or too slow, unsigned junk) and checks
// that each ends in exactly one request.refused with the outcome its
// answer meant, named by the request id the agent was answered with,
// and nothing else of its own but the security.refused of a possible
// attack: no request.received. The event names the principal only when
// the session opened and never carries a credential, the signature, the
// Authorization header or the body.
func TestEveryAnswerAtTheDoorIsRecorded(t *testing.T) {
	const parsedLimit = 4096
	e := newEnv(t, envOpts{tune: func(c *Config) {
		c.MaxParsedBody = parsedLimit
		c.BodyGrace, c.BodyMinRate, c.BodyIdleTimeout = 300*time.Millisecond, 1024, 2*time.Second
	}})
	runDoor(t, e)
	e.pub.setRespond(ok(`{}`))
	creds := e.agentCreds("agent-1")
	forged := creds
	forged.SessionToken = "forged-" + creds.SessionToken[:16]
	wrongSecret := creds
	wrongSecret.SecretAccessKey = strings.Repeat("x", len(creds.SecretAccessKey))
	expiredSess, expiredToken, err := e.sealer.Issue(session.Principal{Subject: "agent-old", Issuer: e.iss.URL()}, testRole, "old",
		time.Minute, time.Now().Add(-time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	expired := aws.Credentials{AccessKeyID: expiredSess.AccessKeyID, SecretAccessKey: expiredSess.SecretAccessKey, SessionToken: expiredToken}
	// Secrets of every credential used here: none may reach an event.
	secrets := []string{creds.SecretAccessKey, creds.SessionToken, forged.SessionToken, wrongSecret.SecretAccessKey,
		expired.SecretAccessKey, expired.SessionToken}

	const form = "application/x-www-form-urlencoded; charset=utf-8"
	const bodyMark = "BODY-MARK-7f3a"
	ddb := func(target, body string) doorReq {
		return doorReq{method: http.MethodPost, path: "/", service: "dynamodb", body: body,
			headers: map[string]string{"X-Amz-Target": "DynamoDB_20120810." + target, "Content-Type": "application/x-amz-json-1.0"}}
	}
	put := ddb("PutItem", `{"TableName":"t","Item":{"k":{"S":"`+bodyMark+`"}}}`)

	cases := []struct {
		name string
		// req builds the request; before, if set, runs first (the first
		// use of a replayed signature).
		req    func(t *testing.T) *http.Request
		before func(t *testing.T)
		status int
		code   string
		// outcome of the request.refused; principal its subject ("" none);
		// claimed whether it names the access key id claimed.
		outcome   string
		principal string
		claimed   string
		// security is the kind of the security.refused also written ("" none).
		security string
		// noAnswer: the client may see the connection end instead of the
		// answer (a body cut off while it is being sent).
		noAnswer bool
	}{
		{name: "no signature", req: func(t *testing.T) *http.Request {
			return e.unsigned(t, http.MethodGet, "/?Action=ListUsers&Version=2010-05-08", "", "")
		}, status: 403, code: "MissingAuthenticationToken", outcome: schemas.OutcomeUnauthenticated},
		{name: "unsigned form that does not parse", req: func(t *testing.T) *http.Request {
			return e.unsigned(t, http.MethodPost, "/", form, "Action=%zz")
		}, status: 400, code: "MalformedQueryString", outcome: schemas.OutcomeRejected},
		{name: "unsigned body too large", req: func(t *testing.T) *http.Request {
			return e.unsigned(t, http.MethodPost, "/", form, "Action=AssumeRoleWithWebIdentity&X="+strings.Repeat("a", maxUnsignedBody))
		}, status: 413, code: "RequestEntityTooLarge", outcome: schemas.OutcomeRejected},
		{name: "SigV2 header", req: func(t *testing.T) *http.Request {
			r := e.unsigned(t, http.MethodGet, "/bucket/key", "", "")
			r.Header.Set("Authorization", "AWS "+creds.AccessKeyID+":c2lnbmF0dXJlLXYy")
			return r
		}, status: 400, code: "InvalidRequest", outcome: schemas.OutcomeUnauthenticated},
		{name: "SigV2 presigned URL", req: func(t *testing.T) *http.Request {
			return e.unsigned(t, http.MethodGet, "/bucket/key?AWSAccessKeyId="+creds.AccessKeyID+"&Signature=c2ln&Expires=4102444800", "", "")
		}, status: 400, code: "InvalidRequest", outcome: schemas.OutcomeUnauthenticated},
		{name: "malformed Authorization", req: func(t *testing.T) *http.Request {
			r := e.unsigned(t, http.MethodGet, "/bucket/key", "", "")
			r.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential=garbage")
			return r
		}, status: 400, code: "IncompleteSignature", outcome: schemas.OutcomeUnauthenticated},
		{name: "forged session token", req: func(t *testing.T) *http.Request {
			return e.signAt(t, forged, ddb("ListTables", `{}`))
		}, status: 403, code: "InvalidClientTokenId", outcome: schemas.OutcomeUnauthenticated, claimed: creds.AccessKeyID},
		{name: "expired session", req: func(t *testing.T) *http.Request {
			return e.signAt(t, expired, ddb("ListTables", `{}`))
		}, status: 403, code: "ExpiredToken", outcome: schemas.OutcomeUnauthenticated, claimed: expired.AccessKeyID},
		{name: "wrong secret", req: func(t *testing.T) *http.Request {
			return e.signAt(t, wrongSecret, put)
		}, status: 403, code: "SignatureDoesNotMatch", outcome: schemas.OutcomeUnauthenticated, principal: "agent-1", claimed: creds.AccessKeyID},
		{name: "signed an hour ago", req: func(t *testing.T) *http.Request {
			d := ddb("ListTables", `{}`)
			d.at = time.Now().Add(-time.Hour)
			return e.signAt(t, creds, d)
		}, status: 403, code: "RequestTimeTooSkewed", outcome: schemas.OutcomeUnauthenticated, principal: "agent-1", claimed: creds.AccessKeyID},
		{name: "unsigned x-amz header", req: func(t *testing.T) *http.Request {
			return e.signAt(t, creds, doorReq{method: http.MethodGet, path: "/logs/a.txt", service: "s3", hash: sigv4.UnsignedPayload,
				after: map[string]string{"X-Amz-Meta-Added": "later"}})
		}, status: 403, code: "AccessDenied", outcome: schemas.OutcomeUnauthenticated, principal: "agent-1", claimed: creds.AccessKeyID,
			security: schemas.SecurityUnsignedInput},
		{name: "body does not match its signed hash", req: func(t *testing.T) *http.Request {
			// Signed for another body of the same length.
			signed := strings.Repeat("s", len(bodyMark))
			r := e.signAt(t, creds, doorReq{method: http.MethodPut, path: "/logs/a.txt", service: "s3", body: signed, hash: sha256Hex([]byte(signed))})
			r.Body = io.NopCloser(strings.NewReader(bodyMark))
			return r
		}, status: 400, code: "XAmzContentSHA256Mismatch", outcome: schemas.OutcomeUnauthenticated, principal: "agent-1", claimed: creds.AccessKeyID},
		{name: "operation not identified", req: func(t *testing.T) *http.Request {
			return e.signAt(t, creds, ddb("NoSuchOperation", `{}`))
		}, status: 403, code: "AccessDenied", outcome: schemas.OutcomeRejected, principal: "agent-1", claimed: creds.AccessKeyID},
		{name: "ambiguous request", req: func(t *testing.T) *http.Request {
			return e.signAt(t, creds, doorReq{method: http.MethodPost, path: "/", service: "iam",
				body: "Action=ListUsers&action=CreateAccessKey&Version=2010-05-08", headers: map[string]string{"Content-Type": form}})
		}, status: 400, code: "MalformedQueryString", outcome: schemas.OutcomeRejected, principal: "agent-1", claimed: creds.AccessKeyID,
			security: schemas.SecurityAmbiguousRequest},
		{name: "replayed signature", req: func() func(t *testing.T) *http.Request {
			var first *http.Request
			return func(t *testing.T) *http.Request {
				if first == nil {
					first = e.signAt(t, creds, ddb("DeleteTable", `{"TableName":"t"}`))
					if a := send(t, first.Clone(context.Background())); a.status != http.StatusOK {
						t.Fatalf("first use answered %d %s", a.status, a.raw)
					}
				}
				r := first.Clone(context.Background())
				r.Body = io.NopCloser(strings.NewReader(`{"TableName":"t"}`))
				return r
			}
		}(), status: 403, code: "AccessDenied", outcome: schemas.OutcomeRejected, principal: "agent-1", claimed: creds.AccessKeyID,
			security: schemas.SecurityReplay},
		{name: "declared body too large to read whole", req: func(t *testing.T) *http.Request {
			return e.signAt(t, creds, ddb("PutItem", `{"TableName":"t","Item":{"k":{"S":"`+strings.Repeat("a", parsedLimit)+`"}}}`))
		}, status: 413, code: "RequestEntityTooLarge", outcome: schemas.OutcomeRejected, principal: "agent-1", claimed: creds.AccessKeyID},
		{name: "undeclared body too large to read whole", req: func(t *testing.T) *http.Request {
			body := `{"TableName":"t","Item":{"k":{"S":"` + strings.Repeat("a", parsedLimit) + `"}}}`
			r := e.signAt(t, creds, ddb("PutItem", body))
			r.Body, r.ContentLength = io.NopCloser(io.MultiReader(strings.NewReader(body))), -1
			return r
		}, status: 413, code: "RequestEntityTooLarge", outcome: schemas.OutcomeRejected, principal: "agent-1", claimed: creds.AccessKeyID},
		{name: "body too slow", req: func(t *testing.T) *http.Request {
			const size = 100 // one byte per 200 ms: 20 s if never cut off
			r := e.signAt(t, creds, doorReq{method: http.MethodPut, path: "/logs/slow.bin", service: "s3", hash: sigv4.UnsignedPayload,
				headers: map[string]string{"Content-Length": fmt.Sprint(size)}})
			r.Body, r.ContentLength = io.NopCloser(&trickle{n: size, gap: 200 * time.Millisecond}), size
			return r
		}, status: 400, code: "RequestTimeout", outcome: schemas.OutcomeRejected, principal: "agent-1", claimed: creds.AccessKeyID, noAnswer: true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			req := c.req(t)
			e.pub.reset()
			authz := req.Header.Get("Authorization")
			id, a := "", answer{}
			resp, err := http.DefaultClient.Do(req)
			if err == nil {
				raw, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				a = answer{status: resp.StatusCode, header: resp.Header, raw: string(raw), requestID: resp.Header.Get("X-Jitgate-Request-Id")}
				id = a.requestID
				if id == "" || resp.Header.Get("X-Amzn-Requestid") != id {
					t.Fatalf("request ids: X-Jitgate-Request-Id %q, x-amzn-RequestId %q", id, resp.Header.Get("X-Amzn-Requestid"))
				}
				if a.status != c.status || !strings.Contains(a.raw, c.code) {
					t.Fatalf("answered %d %s; want %d %s", a.status, a.raw, c.status, c.code)
				}
			} else if !c.noAnswer {
				t.Fatal(err)
			}
			eventually(t, "the request.refused", func() bool {
				n := 0
				for _, o := range e.pub.published() {
					if o.Envelope.Type == schemas.TypeRequestRefused && (id == "" || o.Envelope.RequestID == id) {
						n++
					}
				}
				return n > 0
			})
			time.Sleep(50 * time.Millisecond) // a second one would be in the same batch
			outs := e.pub.published()
			if id == "" { // the answer was lost with the connection: the one refusal published
				for _, o := range outs {
					if o.Envelope.Type == schemas.TypeRequestRefused {
						id = o.Envelope.RequestID
					}
				}
			}
			got := refusalsOf(t, outs, id)
			if len(got) != 1 {
				t.Fatalf("%d request.refused for request %s, want 1", len(got), id)
			}
			ev := got[0]
			if ev.Outcome != c.outcome || ev.Error.Status != c.status || ev.Error.Code != c.code || ev.Reason == "" || ev.Replica != testReplica || ev.Source == "" {
				t.Errorf("refusal %+v; want outcome %s, %d %s", ev, c.outcome, c.status, c.code)
			}
			switch {
			case c.principal == "" && ev.Principal != nil:
				t.Errorf("principal %+v for a session that did not open", ev.Principal)
			case c.principal != "" && (ev.Principal == nil || ev.Principal.Subject != c.principal):
				t.Errorf("principal %+v, want %s", ev.Principal, c.principal)
			}
			if ev.ClaimedAccessKeyID != c.claimed {
				t.Errorf("claimed access key id %q, want %q", ev.ClaimedAccessKeyID, c.claimed)
			}
			var security []string
			for _, o := range outs {
				if o.Envelope.RequestID != id {
					continue
				}
				switch o.Envelope.Type {
				case schemas.TypeRequestReceived, schemas.TypeRequestBodyChunk, schemas.TypeResponseReady:
					t.Errorf("%s published for a call answered at the door", o.Envelope.Type)
				case schemas.TypeSecurityRefused:
					r, err := schemas.DecodeAs[*schemas.SecurityRefused](o.Envelope)
					if err != nil {
						t.Fatal(err)
					}
					security = append(security, r.Kind)
				}
				raw, _ := o.Envelope.Marshal()
				for _, s := range append(secrets, bodyMark) {
					if bytes.Contains(raw, []byte(s)) {
						t.Errorf("%s carries a secret or the body (%.12s...): %s", o.Envelope.Type, s, raw)
					}
				}
				if authz != "" && bytes.Contains(raw, []byte(authz)) {
					t.Errorf("%s carries the Authorization header: %s", o.Envelope.Type, raw)
				}
				if i := strings.Index(authz, "Signature="); i >= 0 && bytes.Contains(raw, []byte(authz[i+len("Signature="):])) {
					t.Errorf("%s carries the signature: %s", o.Envelope.Type, raw)
				}
			}
			if c.security == "" && len(security) != 0 || c.security != "" && (len(security) != 1 || security[0] != c.security) {
				t.Errorf("security.refused kinds %v, want %q", security, c.security)
			}
		})
	}
	if n := e.g.DroppedDoorEvents(); n != 0 {
		t.Errorf("%d refusals dropped", n)
	}
}

// TestGarbageSignedFloodIsBounded: a flood of requests whose signature or
// session token does not check out writes at most the strangers' rate of
// request.refused events (the rest are counted as dropped, and the count
// logged), the queue never holds more than its bound, and a known
// caller's refusal is still recorded while strangers are over their rate.
func TestGarbageSignedFloodIsBounded(t *testing.T) {
	const rate, queue, flood = 20, 32, 400
	e := newEnv(t, envOpts{tune: func(c *Config) { c.UntrustedRefusalRate, c.DoorLogQueue = rate, queue }})
	creds := e.agentCreds("agent-1")
	e.flushDoor() // the exchange's session.issued
	forged := creds
	forged.SessionToken = "forged"
	garbage := []func() *http.Request{
		func() *http.Request {
			r := e.unsigned(t, http.MethodGet, "/bucket/key", "", "")
			r.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential="+strings.Repeat("A", 200))
			return r
		},
		func() *http.Request {
			return e.signAt(t, forged, doorReq{method: http.MethodGet, path: "/bucket/key", service: "s3", hash: sigv4.UnsignedPayload})
		},
		func() *http.Request { return e.unsigned(t, http.MethodGet, "/?Action=ListUsers", "", "") },
	}
	start := time.Now()
	maxQueued := 0
	for i := range flood {
		if a := send(t, garbage[i%len(garbage)]()); a.status < 400 {
			t.Fatalf("garbage answered %d", a.status)
		}
		maxQueued = max(maxQueued, len(e.g.door.queue))
	}
	took := time.Since(start)
	if maxQueued > queue {
		t.Errorf("the refusal queue held %d, bound %d", maxQueued, queue)
	}
	// Nothing publishes yet (the door log is not running): what was kept
	// is queued, the rest dropped.
	allowed := rate + int(took.Seconds()*rate) + 1
	kept := len(e.g.door.queue)
	if kept > allowed || kept < rate {
		t.Errorf("%d of %d strangers' refusals kept in %s; want between %d and %d (rate %d/s)", kept, flood, took, rate, allowed, rate)
	}
	if d := e.g.DroppedDoorEvents(); d != int64(flood-kept) || e.g.door.limited.Load() != d {
		t.Errorf("dropped %d (rate-limited %d), want %d", d, e.g.door.limited.Load(), flood-kept)
	}
	// A known caller's refusal is not a stranger's: still recorded.
	a := send(t, e.signAt(t, creds, doorReq{method: http.MethodPost, path: "/", service: "dynamodb", body: `{}`,
		headers: map[string]string{"X-Amz-Target": "DynamoDB_20120810.NoSuchOperation", "Content-Type": "application/x-amz-json-1.0"}}))
	runDoor(t, e)
	eventually(t, "the known caller's refusal", func() bool { return len(refusalsOf(t, e.pub.published(), a.requestID)) == 1 })
	eventually(t, "the kept refusals published", func() bool { return countType(e.pub.published(), schemas.TypeRequestRefused) == kept+1 })
	var sizes int
	for _, o := range e.pub.published() {
		raw, _ := o.Envelope.Marshal()
		sizes = max(sizes, len(raw))
	}
	if sizes > 4096 {
		t.Errorf("a request.refused of %d bytes: each must stay small", sizes)
	}
}

// TestRefusedEventKeepsOnlyWhatIsSafe: of a stranger's claim, a
// request.refused keeps the access key id only in the shape of a jitgate
// one, and the scope's names only as plain names; the principal only once
// the session opened; and never the token.
func TestRefusedEventKeepsOnlyWhatIsSafe(t *testing.T) {
	const jg = "JGIAABCDEFGHIJKLMNOP"
	sess := &session.Session{AccessKeyID: jg, Principal: session.Principal{Subject: "agent-1", Issuer: "https://iss"}}
	cases := []struct {
		name             string
		claim            *sigv4.Claim
		sess             *session.Session
		key, signing, rg string
		principal        string
	}{
		{name: "nothing known", claim: nil},
		{name: "a stranger claiming a jitgate key", claim: &sigv4.Claim{AccessKeyID: jg, SessionToken: "tok", SigningName: "s3", Region: "eu-west-1"},
			key: jg, signing: "s3", rg: "eu-west-1"},
		{name: "an AWS key id is left out", claim: &sigv4.Claim{AccessKeyID: "AKIAIOSFODNN7EXAMPLE", SigningName: "dynamodb", Region: "us-east-1"},
			signing: "dynamodb", rg: "us-east-1"},
		{name: "garbage names are left out", claim: &sigv4.Claim{AccessKeyID: "JGIA<script>", SigningName: "s3\nforged=1", Region: strings.Repeat("r", 65)}},
		{name: "an opened session", claim: &sigv4.Claim{AccessKeyID: jg, SessionToken: "tok", SigningName: "s3", Region: "eu-west-1"}, sess: sess,
			key: jg, signing: "s3", rg: "eu-west-1", principal: "agent-1"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ev := refusedEvent(&call{claim: c.claim, sess: c.sess})
			if ev.ClaimedAccessKeyID != c.key || ev.SigningName != c.signing || ev.Region != c.rg {
				t.Errorf("event %+v; want key %q, signing name %q, region %q", ev, c.key, c.signing, c.rg)
			}
			if got := ev.Principal; c.principal == "" && got != nil || c.principal != "" && (got == nil || got.Subject != c.principal) {
				t.Errorf("principal %+v, want %q", got, c.principal)
			}
		})
	}
}
