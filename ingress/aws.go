package ingress

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"

	"github.com/jitgate/jitgate/internal/awsmodel"
	"github.com/jitgate/jitgate/internal/bus"
	"github.com/jitgate/jitgate/internal/ids"
	"github.com/jitgate/jitgate/internal/session"
	"github.com/jitgate/jitgate/internal/sigv4"
	"github.com/jitgate/jitgate/internal/sts"
	"github.com/jitgate/jitgate/schemas"
)

// call is one agent request on its way through the ingress.
type call struct {
	id       string
	protocol string
	w        http.ResponseWriter
	r        *http.Request
}

func (c *call) fail(e apiError) { writeError(c.w, c.protocol, c.id, e) }

// serveAWS handles every AWS API call: verify, identify, publish, wait,
// answer.
func (g *Ingress) serveAWS(w http.ResponseWriter, r *http.Request) {
	c := &call{id: ids.New(), protocol: g.hints.guessProtocol(r), w: w, r: r}
	// Every answer names jitgate's request id, the one in the audit log.
	w.Header().Set("X-Jitgate-Request-Id", c.id)
	now := g.deps.Now()
	limit := g.cfg.MaxBody
	if !signed(r) {
		// The one unsigned call is a small STS form: strangers cannot make
		// the gateway buffer large bodies before any signature check.
		limit = min(limit, maxUnsignedBody)
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, limit))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			c.fail(apiError{http.StatusRequestEntityTooLarge, "RequestEntityTooLarge",
				fmt.Sprintf("request body exceeds the gateway's %d-byte limit", limit)})
			return
		}
		c.fail(apiError{http.StatusBadRequest, "IncompleteBody", "could not read the request body: " + err.Error()})
		return
	}
	if !signed(r) {
		g.serveUnsigned(c, body)
		return
	}
	var sess session.Session
	verified, err := sigv4.Verify(r, body, func(akid, token string) (string, error) {
		s, err := g.deps.Sealer.Open(akid, token, now)
		if err != nil {
			return "", err
		}
		sess = s
		return s.SecretAccessKey, nil
	}, now)
	if err != nil {
		g.log.Info("signature rejected", "request_id", c.id, "code", sigv4.Code(err), "err", err)
		if errors.Is(err, session.ErrExpired) {
			c.fail(apiError{http.StatusForbidden, "ExpiredToken",
				"the jitgate session has expired: get new credentials with AssumeRoleWithWebIdentity (request id " + c.id + ")"})
			return
		}
		c.fail(apiError{sigv4.HTTPStatus(err), sigv4.Code(err), err.Error()})
		return
	}
	svc, _, _ := awsmodel.SplitServicePath(r.URL.Path)
	op, err := g.deps.Models.Identify(r, verified.Payload, awsmodel.Hint{Service: svc, SigningName: verified.SigningName,
		Region: verified.Region, SignedHeaders: verified.SignedHeaders})
	if g.refuseUnreadable(c, sess, err) {
		return
	}
	if err != nil {
		// Default deny: what the gateway cannot identify it cannot judge.
		c.fail(apiError{http.StatusForbidden, "AccessDenied", fmt.Sprintf("jitgate could not identify this call, so it is denied: %v (request id %s)", err, c.id)})
		return
	}
	c.protocol = op.Protocol
	ev, err := g.requestEvent(c, sess, verified, op, now)
	if err != nil {
		c.fail(apiError{http.StatusBadRequest, "InvalidRequest", err.Error()})
		return
	}
	if op.Service == "sts" && op.Name == "GetCallerIdentity" {
		g.answerCallerIdentity(c, ev, sess)
		return
	}
	g.dispatch(c, ev, verified.Payload)
}

// answerCallerIdentity answers sts:GetCallerIdentity with the agent's own
// jitgate identity (the gateway's AWS identity is none of its business) and
// records the call and its answer like any other.
func (g *Ingress) answerCallerIdentity(c *call, ev *schemas.RequestReceived, sess session.Session) {
	rec := httptest.NewRecorder()
	sts.WriteCallerIdentity(rec, sess, c.id)
	ev.Answered, ev.ReplyTo = true, ""
	resp := &schemas.HTTPResponse{Status: rec.Code, Body: rec.Body.Bytes(), BodySize: int64(rec.Body.Len()),
		Headers: schemas.HeadersFrom(rec.Header(), nil)}
	var outs []bus.Output
	for _, p := range []schemas.Payload{ev, &schemas.ResponseReady{Outcome: schemas.OutcomeExecuted, Response: resp}} {
		env, err := schemas.NewEnvelope(ids.New(), c.id, g.cfg.Replica, g.deps.Now(), p)
		if err != nil {
			c.fail(apiError{http.StatusInternalServerError, "InternalFailure", err.Error()})
			return
		}
		topic := schemas.TopicRequests
		if p.EventType() == schemas.TypeResponseReady {
			topic = schemas.TopicResponses
		}
		outs = append(outs, bus.Output{Topic: topic, Envelope: env})
	}
	if err := g.deps.Publisher.Publish(c.r.Context(), outs...); err != nil {
		g.log.Error("could not record a caller-identity call", "request_id", c.id, "err", err)
		c.fail(apiError{http.StatusServiceUnavailable, "ServiceUnavailable",
			fmt.Sprintf("jitgate could not record the call (request id %s); retry later", c.id)})
		return
	}
	for name, vals := range rec.Header() {
		c.w.Header()[name] = vals
	}
	c.w.WriteHeader(rec.Code)
	c.w.Write(rec.Body.Bytes())
}

// maxUnsignedBody bounds the body of an unsigned request
// (AssumeRoleWithWebIdentity: a form with a JWT).
const maxUnsignedBody = 64 << 10

// signed reports whether r carries a SigV4 signature in either form.
func signed(r *http.Request) bool {
	return r.Header.Get("Authorization") != "" || r.URL.Query().Get("X-Amz-Signature") != ""
}

// serveUnsigned answers the one unsigned call agents make: STS
// AssumeRoleWithWebIdentity. Everything else needs a signature.
func (g *Ingress) serveUnsigned(c *call, body []byte) {
	form := c.r.URL.Query()
	if strings.HasPrefix(c.r.Header.Get("Content-Type"), "application/x-www-form-urlencoded") {
		posted, err := url.ParseQuery(string(body))
		if err != nil {
			c.fail(apiError{http.StatusBadRequest, "MalformedQueryString", "could not parse the form body: " + err.Error()})
			return
		}
		for k, v := range posted {
			form[k] = v
		}
	}
	if form.Get("Action") == "AssumeRoleWithWebIdentity" {
		g.deps.STS.ServeAssumeRoleWithWebIdentity(c.w, c.r, form, c.id)
		return
	}
	c.fail(apiError{http.StatusForbidden, "MissingAuthenticationToken",
		"request is not signed: get jitgate credentials with AssumeRoleWithWebIdentity and sign with SigV4"})
}

// stripHeaders never travel past the ingress: the executor re-signs, and
// credentials do not belong in Kafka.
var stripHeaders = map[string]bool{
	"authorization": true, "x-amz-date": true, "x-amz-security-token": true,
	"connection": true, "keep-alive": true, "proxy-authorization": true, "te": true,
	"trailer": true, "transfer-encoding": true, "upgrade": true, "expect": true,
}
