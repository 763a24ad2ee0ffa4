package executor

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/jitgate/jitgate/internal/awsemu"
	"github.com/jitgate/jitgate/internal/bus"
	"github.com/jitgate/jitgate/internal/rolelist"
	"github.com/jitgate/jitgate/schemas"
)

func TestConfigValidate(t *testing.T) {
	cases := []struct {
		name string
		edit func(*Config)
		ok   bool
	}{
		{"defaults", func(*Config) {}, true},
		{"no brokers", func(c *Config) { c.Bus.Brokers = nil }, false},
		{"no instance", func(c *Config) { c.Instance = "" }, false},
		{"short key", func(c *Config) { c.DecisionKey = []byte("short") }, false},
		{"inline body over a chunk", func(c *Config) { c.MaxInlineBody = bus.ChunkSize + 1 }, false},
		{"upstream with query", func(c *Config) { c.Upstream = "http://127.0.0.1:1/?x=1" }, false},
		{"upstream not http", func(c *Config) { c.Upstream = "file:///etc" }, false},
		{"emulator upstream", func(c *Config) { c.Upstream = "http://127.0.0.1:4566" }, true},
		{"session role without an allow-list", func(c *Config) { c.AssumeSessionRole = true }, false},
		{"session role with an allow-list", func(c *Config) {
			c.AssumeSessionRole, c.AllowedRoles = true, rolelist.MustParse("arn:aws:iam::123456789012:role/*")
		}, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cfg := unitConfig()
			c.edit(&cfg)
			cfg.setDefaults()
			if err := cfg.Validate(); (err == nil) != c.ok {
				t.Fatalf("Validate() = %v, want ok=%v", err, c.ok)
			}
		})
	}
	if _, err := New(unitConfig(), Deps{Credentials: staticCreds(gatewayCreds)}); !errors.Is(err, ErrConfig) {
		t.Fatalf("New without endpoint table or upstream: %v", err)
	}
	if _, err := New(unitConfig(), Deps{Endpoints: table}); !errors.Is(err, ErrConfig) {
		t.Fatalf("New without credentials: %v", err)
	}
}

// An event that is not a decision is handed back to the loop as a
// decoding error, which dead-letters it (bus failure policy): it is neither
// run nor silently dropped.
func TestNotADecisionIsHandedToTheFailurePolicy(t *testing.T) {
	e, f, _ := newUnit(t, unitConfig(), Deps{})
	res, err := e.Handle(context.Background(), message(t, "req-1", &schemas.RequestReceived{}))
	if !errors.Is(err, schemas.ErrWrongType) {
		t.Fatalf("Handle: %v, want an error wrapping schemas.ErrWrongType", err)
	}
	if len(res.Out) != 0 || res.After != nil || len(f.reqs) != 0 {
		t.Fatalf("outputs %d, follow-up %v, calls %d", len(res.Out), res.After != nil, len(f.reqs))
	}
}

func TestOnlyVerifiedAllowsRun(t *testing.T) {
	req := s3Request("GET", "/")
	// reseal re-seals a decision's envelope after edit, with key.
	reseal := func(t *testing.T, m bus.Message, key []byte, edit func(*schemas.Envelope)) bus.Message {
		edit(&m.Envelope)
		if err := schemas.Seal(&m.Envelope, key); err != nil {
			t.Fatal(err)
		}
		return m
	}
	cases := []struct {
		name    string
		msg     func(t *testing.T) bus.Message
		refused bool // a security.refused event, no call, no execution event
		runs    bool
	}{
		{"sealed allow", func(t *testing.T) bus.Message { return message(t, "req-1", sealed(t, schemas.Allow, req, nil)) }, false, true},
		{"deny", func(t *testing.T) bus.Message { return message(t, "req-1", sealed(t, schemas.Deny, req, nil)) }, false, false},
		{"hold", func(t *testing.T) bus.Message { return message(t, "req-1", sealed(t, schemas.Hold, req, nil)) }, false, false},
		{"unsealed deny", func(t *testing.T) bus.Message {
			m := message(t, "req-1", sealed(t, schemas.Deny, req, nil))
			m.Envelope.Auth = ""
			return m
		}, false, false},
		{"unsealed allow", func(t *testing.T) bus.Message {
			m := message(t, "req-1", sealed(t, schemas.Allow, req, nil))
			m.Envelope.Auth = ""
			return m
		}, true, false},
		{"allow sealed with another key", func(t *testing.T) bus.Message {
			return reseal(t, message(t, "req-1", sealed(t, schemas.Allow, req, nil)), []byte("someone-elses-key-0123456789"), func(*schemas.Envelope) {})
		}, true, false},
		{"allow sealed with the key, written as an ingress", func(t *testing.T) bus.Message {
			return reseal(t, message(t, "req-1", sealed(t, schemas.Allow, req, nil)), decisionKey, func(e *schemas.Envelope) { e.Producer = "ingress/x" })
		}, true, false},
		{"allow altered after sealing", func(t *testing.T) bus.Message {
			m := message(t, "req-1", sealed(t, schemas.Allow, req, nil))
			m.Envelope.Payload = bytes.Replace(m.Envelope.Payload, []byte(`"path":"/"`), []byte(`"path":"/other-bucket"`), 1)
			return m
		}, true, false},
		{"deny turned into allow", func(t *testing.T) bus.Message {
			m := message(t, "req-1", sealed(t, schemas.Deny, req, nil))
			m.Envelope.Payload = bytes.Replace(m.Envelope.Payload, []byte(`"outcome":"deny"`), []byte(`"outcome":"allow"`), 1)
			return m
		}, true, false},
		{"allow rewrapped under another request id", func(t *testing.T) bus.Message {
			m := message(t, "req-1", sealed(t, schemas.Allow, req, nil))
			m.Envelope.RequestID = "req-2"
			return m
		}, true, false},
		{"allow resealed under another request id by a key holder", func(t *testing.T) bus.Message {
			return reseal(t, message(t, "req-1", sealed(t, schemas.Allow, req, nil)), decisionKey, func(e *schemas.Envelope) { e.RequestID = "req-2" })
		}, true, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e, f, logs := newUnit(t, unitConfig(), Deps{})
			m := c.msg(t)
			o := run(t, e, m)
			switch {
			case c.runs:
				if len(o.started) != 1 || len(o.finished) != 1 || len(f.reqs) != 1 || o.finished[0].Response.Status != 200 || len(o.refused) != 0 {
					t.Fatalf("started %d finished %d calls %d refused %d", len(o.started), len(o.finished), len(f.reqs), len(o.refused))
				}
			case c.refused:
				// A forged decision speaks for no request: no execution
				// event answers it, only the security record.
				if len(o.started) != 0 || len(o.finished) != 0 || o.after || len(f.reqs) != 0 || len(o.refused) != 1 {
					t.Fatalf("started %d finished %d after %v calls %d refused %d", len(o.started), len(o.finished), o.after, len(f.reqs), len(o.refused))
				}
				r := o.refused[0]
				if r.Kind != schemas.SecurityForgedEvent || r.Stage != "executor" || r.EventID != m.Envelope.ID || r.RefusedType != schemas.TypeDecisionMade {
					t.Fatalf("refusal %+v", r)
				}
				if !strings.Contains(logs.String(), "security: refusing a decision") {
					t.Fatalf("no security event logged: %s", logs)
				}
			default:
				if len(o.outs) != 0 || o.after || len(f.reqs) != 0 {
					t.Fatalf("produced %d events (after %v), %d calls", len(o.outs), o.after, len(f.reqs))
				}
			}
		})
	}
}

// TestDestinationNeverFromClient sends a request whose Host, forwarding
// headers and other URLs name an attacker: it must reach the table's host.
func TestDestinationNeverFromClient(t *testing.T) {
	var attackerHits atomic.Int32
	attacker := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { attackerHits.Add(1) }))
	defer attacker.Close()
	evil := strings.TrimPrefix(attacker.URL, "http://")
	req := s3Request("GET", "/bucket/key", "Host", evil, "X-Forwarded-Host", evil, "X-Forwarded-Proto", "http",
		"Forwarded", "host="+evil, "X-Amz-Website-Redirect-Location", attacker.URL, "Referer", attacker.URL, "Origin", attacker.URL)
	req.HTTP.SignedHeaders = []string{"host", "x-forwarded-host"}
	req.HTTP.RawQuery = "X-Amz-Credential=x&redirect=" + attacker.URL

	t.Run("endpoint table", func(t *testing.T) {
		e, f, _ := newUnit(t, unitConfig(), Deps{})
		o := run(t, e, message(t, "req-1", sealed(t, schemas.Allow, req, nil)))
		if len(f.reqs) != 1 {
			t.Fatalf("%d upstream calls", len(f.reqs))
		}
		got := f.reqs[0]
		if got.URL.Scheme != "https" || got.URL.Host != "s3.us-east-1.amazonaws.com" || (got.Host != "" && got.Host != got.URL.Host) {
			t.Fatalf("went to %s://%s (Host %q)", got.URL.Scheme, got.URL.Host, got.Host)
		}
		if got.Header.Get("X-Forwarded-Host") != "" || got.Header.Get("Forwarded") != "" {
			t.Fatal("forwarding headers sent upstream")
		}
		if o.started[0].Endpoint != "https://s3.us-east-1.amazonaws.com/bucket/key" {
			t.Fatalf("started endpoint %q", o.started[0].Endpoint)
		}
	})
	t.Run("emulator upstream", func(t *testing.T) {
		emu, err := awsemu.Start(gatewayCreds, 0)
		if err != nil {
			t.Fatal(err)
		}
		defer emu.Close()
		cfg := unitConfig()
		cfg.Upstream = emu.URL
		e, _, _ := newUnit(t, cfg, Deps{HTTPClient: &http.Client{}})
		o := run(t, e, message(t, "req-2", sealed(t, schemas.Allow, req, nil)))
		if len(o.finished) != 1 || o.finished[0].Error != "" {
			t.Fatalf("finished %+v", o.finished)
		}
		seen := emu.Requests()
		if len(seen) != 1 || seen[0].Host != strings.TrimPrefix(emu.URL, "http://") {
			t.Fatalf("emulator saw %+v", seen)
		}
	})
	if n := attackerHits.Load(); n != 0 {
		t.Fatalf("attacker host got %d requests", n)
	}
}

func TestUntrustedTableEntriesRefused(t *testing.T) {
	cases := []struct{ name, service, region string }{
		{"host outside AWS suffixes", "evil", "us-east-1"},
		{"plain http", "plain", "us-east-1"},
		{"unknown service", "nosuch", "us-east-1"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e, f, _ := newUnit(t, unitConfig(), Deps{})
			req := s3Request("GET", "/")
			req.Service, req.Region = c.service, c.region
			o := run(t, e, message(t, "req-1", sealed(t, schemas.Allow, req, nil)))
			if len(o.started) != 0 || len(o.finished) != 1 || !strings.Contains(o.finished[0].Error, "trusted endpoint") || len(f.reqs) != 0 {
				t.Fatalf("started %d finished %+v calls %d", len(o.started), o.finished, len(f.reqs))
			}
		})
	}
}

func TestResponses(t *testing.T) {
	big := bytes.Repeat([]byte("0123456789abcdef"), (3<<20)/2/16) // 1.5 MiB
	cases := []struct {
		name    string
		method  string
		cfg     func(*Config)
		respond func(r *http.Request) (*http.Response, error)
		check   func(t *testing.T, o outcome, calls int)
	}{
		{"redirect not followed", "GET", nil, func(r *http.Request) (*http.Response, error) {
			return reply(r, http.StatusTemporaryRedirect, "", http.Header{"Location": {"https://attacker.example/"}}), nil
		}, func(t *testing.T, o outcome, calls int) {
			if calls != 1 || o.finished[0].Response.Status != http.StatusTemporaryRedirect {
				t.Fatalf("calls %d status %d", calls, o.finished[0].Response.Status)
			}
		}},
		{"transport error", "GET", nil, func(r *http.Request) (*http.Response, error) {
			return nil, errors.New("connection reset")
		}, func(t *testing.T, o outcome, calls int) {
			if !strings.Contains(o.finished[0].Error, "connection reset") || o.finished[0].Response.Status != 0 {
				t.Fatalf("finished %+v", o.finished[0])
			}
		}},
		{"HEAD keeps Content-Length", "HEAD", nil, func(r *http.Request) (*http.Response, error) {
			resp := reply(r, 200, "", nil)
			resp.ContentLength = 1234
			return resp, nil
		}, func(t *testing.T, o outcome, calls int) {
			if h := header(o.finished[0].Response.Headers, "Content-Length"); h != "1234" {
				t.Fatalf("Content-Length %q", h)
			}
		}},
		{"hop-by-hop response headers dropped", "GET", nil, func(r *http.Request) (*http.Response, error) {
			return reply(r, 200, "x", http.Header{"Connection": {"close"}, "X-Amz-Request-Id": {"abc"}, "Content-Length": {"1"}}), nil
		}, func(t *testing.T, o outcome, calls int) {
			hs := o.finished[0].Response.Headers
			if header(hs, "Connection") != "" || header(hs, "X-Amz-Request-Id") != "abc" || header(hs, "Content-Length") != "1" {
				t.Fatalf("headers %+v", hs)
			}
		}},
		{"large body as chunks", "GET", nil, func(r *http.Request) (*http.Response, error) {
			return reply(r, 200, string(big), nil), nil
		}, func(t *testing.T, o outcome, calls int) {
			resp := o.finished[0].Response
			if resp.Body != nil || resp.BodyChunks != 3 || resp.BodySize != int64(len(big)) || len(o.chunks) != 3 {
				t.Fatalf("chunks %d/%d size %d inline %d", resp.BodyChunks, len(o.chunks), resp.BodySize, len(resp.Body))
			}
			var got []byte
			for i, c := range o.chunks {
				if c.Seq != i || c.Last != (i == 2) || c.ReplyTo != "ingress-1" {
					t.Fatalf("chunk %d: seq %d last %v", i, c.Seq, c.Last)
				}
				got = append(got, c.Data...)
			}
			if !bytes.Equal(got, big) {
				t.Fatal("chunks do not reassemble the body")
			}
			if o.outs[1].Envelope.Type != schemas.TypeExecutionFinished || o.outs[1].ReplyTo != "ingress-1" {
				t.Fatal("execution.finished does not precede its chunks")
			}
		}},
		{"upstream asked for identity encoding", "GET", nil, func(r *http.Request) (*http.Response, error) {
			return reply(r, 200, r.Header.Get("Accept-Encoding"), nil), nil
		}, func(t *testing.T, o outcome, calls int) {
			if got := string(o.finished[0].Response.Body); got != "identity" {
				t.Fatalf("upstream saw Accept-Encoding %q", got)
			}
		}},
		{"chunks of an encoded opaque body are marked maskable", "GET", nil, func(r *http.Request) (*http.Response, error) {
			return reply(r, 200, string(big), http.Header{"Content-Type": {"application/octet-stream"}, "Content-Encoding": {"gzip"}}), nil
		}, func(t *testing.T, o outcome, calls int) {
			if len(o.chunks) == 0 {
				t.Fatal("no chunks")
			}
			for _, c := range o.chunks {
				if !c.Maskable {
					t.Fatal("a chunk of a compressed body would stream past the masker unread")
				}
			}
		}},
		{"chunks of a plain opaque body stream through", "GET", nil, func(r *http.Request) (*http.Response, error) {
			return reply(r, 200, string(big), http.Header{"Content-Type": {"application/octet-stream"}}), nil
		}, func(t *testing.T, o outcome, calls int) {
			if len(o.chunks) == 0 {
				t.Fatal("no chunks")
			}
			for _, c := range o.chunks {
				if c.Maskable {
					t.Fatal("a binary chunk was marked maskable")
				}
			}
		}},
		{"body over the cap", "GET", func(c *Config) { c.MaxResponseBody = 10 }, func(r *http.Request) (*http.Response, error) {
			return reply(r, 200, "01234567890", nil), nil
		}, func(t *testing.T, o outcome, calls int) {
			if !strings.Contains(o.finished[0].Error, "exceeds") {
				t.Fatalf("finished %+v", o.finished[0])
			}
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cfg := unitConfig()
			if c.cfg != nil {
				c.cfg(&cfg)
			}
			e, f, _ := newUnit(t, cfg, Deps{})
			f.respond = c.respond
			o := run(t, e, message(t, "req-1", sealed(t, schemas.Allow, s3Request(c.method, "/b/k"), nil)))
			if len(o.started) != 1 || len(o.finished) != 1 {
				t.Fatalf("started %d finished %d", len(o.started), len(o.finished))
			}
			c.check(t, o, len(f.reqs))
		})
	}
}

func header(hs []schemas.Header, name string) string {
	for _, h := range hs {
		if strings.EqualFold(h.Name, name) {
			return h.Value
		}
	}
	return ""
}

func TestRoles(t *testing.T) {
	const role = "arn:aws:iam::123456789012:role/target"
	const sessionRole = "arn:aws:iam::123456789012:role/session"
	roleCreds := map[string]aws.Credentials{
		role:        {AccessKeyID: "ASIAROLE", SecretAccessKey: "s", SessionToken: "t", CanExpire: true, Expires: time.Now().Add(time.Hour)},
		sessionRole: {AccessKeyID: "ASIASESSION", SecretAccessKey: "s", SessionToken: "t", CanExpire: true, Expires: time.Now().Add(time.Hour)},
	}
	const unlisted = "arn:aws:iam::210987654321:role/elsewhere"
	allowed := rolelist.MustParse("arn:aws:iam::123456789012:role/*", "ops=arn:aws:iam::123456789012:role/target")
	cases := []struct {
		name          string
		decisionRole  string
		sessionRole   string
		assumeSession bool
		allowed       rolelist.List
		wantKey       string // "" = refused
		wantErr       string // in the refusal
	}{
		{"gateway credentials by default", "", "", false, allowed, gatewayCreds.AccessKeyID, ""},
		{"decision role", role, "", false, allowed, "ASIAROLE", ""},
		{"session role ignored unless configured", "", sessionRole, false, allowed, gatewayCreds.AccessKeyID, ""},
		{"session role when configured", "", sessionRole, true, allowed, "ASIASESSION", ""},
		{"decision role wins over session role", role, sessionRole, true, allowed, "ASIAROLE", ""},
		{"not a role ARN", "arn:aws:iam::123456789012:user/bob", "", false, allowed, "", "role"},
		{"unlisted session role", "", unlisted, true, allowed, "", "--allowed-roles"},
		{"unlisted decision role", unlisted, "", false, allowed, "", "--allowed-roles"},
		{"decision role with no allow-list", role, "", false, rolelist.List{}, "", "--allowed-roles"},
		{"no allow-list, no role: gateway credentials", "", sessionRole, false, rolelist.List{}, gatewayCreds.AccessKeyID, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var assumed []string
			cfg := unitConfig()
			cfg.AssumeSessionRole = c.assumeSession
			cfg.AllowedRoles = c.allowed
			e, f, _ := newUnit(t, cfg, Deps{AssumeRole: func(_ context.Context, arn string) aws.CredentialsProvider {
				assumed = append(assumed, arn)
				return staticCreds(roleCreds[arn])
			}})
			req := s3Request("GET", "/")
			req.Role = c.sessionRole
			for i := range 2 {
				o := run(t, e, message(t, fmt.Sprint("req-", i), sealed(t, schemas.Allow, req, func(d *schemas.DecisionMade) { d.Role = c.decisionRole })))
				if c.wantKey == "" {
					if !strings.Contains(o.finished[0].Error, c.wantErr) || len(f.reqs) != 0 || len(assumed) != 0 {
						t.Fatalf("finished %+v, %d calls, assumed %v", o.finished[0], len(f.reqs), assumed)
					}
					return
				}
				auth := f.reqs[i].Header.Get("Authorization")
				if !strings.Contains(auth, "Credential="+c.wantKey+"/") {
					t.Fatalf("signed with %q, want key %s", auth[:min(len(auth), 60)], c.wantKey)
				}
				if tok := f.reqs[i].Header.Get("X-Amz-Security-Token"); (tok != "") != (c.wantKey != gatewayCreds.AccessKeyID) {
					t.Fatalf("security token %q", tok)
				}
			}
			if len(assumed) > 1 {
				t.Fatalf("role assumed %d times; the provider should be cached", len(assumed))
			}
		})
	}
}

// TestDefaultAssumeRole uses the built-in STS client: it must sign with the
// gateway's credentials and go to the emulator; the call itself is then
// signed with the assumed credentials (which the emulator refuses, since it
// only accepts the gateway's).
func TestDefaultAssumeRole(t *testing.T) {
	emu, err := awsemu.Start(gatewayCreds, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer emu.Close()
	cfg := unitConfig()
	cfg.Upstream = emu.URL
	cfg.AllowedRoles = rolelist.MustParse("arn:aws:iam::123456789012:role/target")
	e, _, _ := newUnit(t, cfg, Deps{HTTPClient: &http.Client{}})
	d := sealed(t, schemas.Allow, s3Request("GET", "/"), func(d *schemas.DecisionMade) { d.Role = "arn:aws:iam::123456789012:role/target" })
	o := run(t, e, message(t, "req-1", d))
	seen := emu.Requests()
	if len(seen) != 1 || seen[0].SigningName != "sts" || seen[0].AccessKeyID != gatewayCreds.AccessKeyID {
		t.Fatalf("emulator saw %+v", seen)
	}
	if st := o.finished[0].Response.Status; st != http.StatusForbidden || !bytes.Contains(o.finished[0].Response.Body, []byte("InvalidAccessKeyId")) {
		t.Fatalf("status %d body %s error %q", st, o.finished[0].Response.Body, o.finished[0].Error)
	}
}

func TestChunkedRequestBody(t *testing.T) {
	body := bytes.Repeat([]byte("b"), 700<<10)
	cases := []struct {
		name      string
		req       schemas.RequestReceived
		wantOpens int
		wantHash  string // "" = the body's sha256
		// from is where the sealed request says the chunks start (nil:
		// they follow the request); wantFrom the offset read from.
		from     *schemas.RecordRef
		wantFrom int64
	}{
		{"s3 streams once, unsigned payload", s3Request("PUT", "/b/k"), 1, "UNSIGNED-PAYLOAD", &schemas.RecordRef{Topic: "jitgate.requests", Offset: 7}, 7},
		{"chunks that follow the request", s3Request("PUT", "/b/k"), 1, "UNSIGNED-PAYLOAD", nil, 42},
		{"other services hash first", func() schemas.RequestReceived {
			r := s3Request("POST", "/")
			r.Service, r.SigningName, r.Region = "iam", "iam", "eu-west-1"
			r.HTTP.SignedHeaders = []string{"host", "x-amz-content-sha256"}
			return r
		}(), 2, "", &schemas.RecordRef{Topic: "jitgate.requests", Offset: 7}, 7},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e, f, _ := newUnit(t, unitConfig(), Deps{})
			opens := 0
			e.openBody = func(_ context.Context, ref schemas.RecordRef, id string, digests []string) (io.ReadCloser, error) {
				opens++
				if ref.Offset != c.wantFrom || id != "req-1" || !slices.Equal(digests, []string{"d0", "d1"}) {
					t.Errorf("opened %+v %s %v", ref, id, digests)
				}
				return io.NopCloser(bytes.NewReader(body)), nil
			}
			req := c.req
			req.HTTP.BodySize, req.HTTP.BodyChunks, req.HTTP.ChunkSHA256 = int64(len(body)), 2, []string{"d0", "d1"}
			req.HTTP.ChunksFrom = c.from
			d := sealed(t, schemas.Allow, req, func(d *schemas.DecisionMade) {
				d.Body = &schemas.RecordRef{Topic: "jitgate.requests", Offset: 41}
			})
			o := run(t, e, message(t, "req-1", d))
			if o.finished[0].Error != "" || opens != c.wantOpens || len(f.reqs) != 1 {
				t.Fatalf("error %q, opened %d times, %d calls", o.finished[0].Error, opens, len(f.reqs))
			}
			if !bytes.Equal(f.bodies[0], body) || f.reqs[0].ContentLength != int64(len(body)) {
				t.Fatalf("sent %d bytes with Content-Length %d", len(f.bodies[0]), f.reqs[0].ContentLength)
			}
			want := c.wantHash
			if want == "" {
				want = sha(body)
			}
			if got := f.reqs[0].Header.Get("X-Amz-Content-Sha256"); got != want {
				t.Fatalf("payload hash %q, want %q", got, want)
			}
		})
	}
	t.Run("chunked body without reference", func(t *testing.T) {
		e, f, _ := newUnit(t, unitConfig(), Deps{})
		req := s3Request("PUT", "/b/k")
		req.HTTP.BodySize, req.HTTP.BodyChunks = 10, 1
		o := run(t, e, message(t, "req-1", sealed(t, schemas.Allow, req, nil)))
		if !strings.Contains(o.finished[0].Error, "record reference") || len(f.reqs) != 0 {
			t.Fatalf("finished %+v", o.finished[0])
		}
	})
}

// execution.finished names the request's caller, answered or failed: the
// masker matches rules scoped to principals or groups against it, and
// without it would apply every scoped rule to everyone.
func TestFinishedNamesTheCaller(t *testing.T) {
	for name, respond := range map[string]func(r *http.Request) (*http.Response, error){
		"answered": func(r *http.Request) (*http.Response, error) { return reply(r, 200, "{}", nil), nil },
		"failed":   func(r *http.Request) (*http.Response, error) { return nil, errors.New("connection reset") },
	} {
		t.Run(name, func(t *testing.T) {
			e, f, _ := newUnit(t, unitConfig(), Deps{})
			f.respond = respond
			req := s3Request("GET", "/b/k")
			req.Principal = schemas.Principal{Subject: "agent-7", Issuer: "https://issuer", Groups: []string{"data-science"}}
			o := run(t, e, message(t, "req-1", sealed(t, schemas.Allow, req, nil)))
			if len(o.finished) != 1 {
				t.Fatalf("finished %d", len(o.finished))
			}
			p := o.finished[0].Principal
			if p == nil || p.Subject != "agent-7" || len(p.Groups) != 1 || p.Groups[0] != "data-science" {
				t.Fatalf("execution.finished principal %+v, want the request's", p)
			}
		})
	}
}
