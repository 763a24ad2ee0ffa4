package ingress

import (
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"time"

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
	// readOnly is the identified operation's: a call that times out may
	// then be retried safely.
	readOnly bool
	// bodyRead is set once the whole body was read; an HTTP/1 answer
	// before that closes the connection instead of draining a body nobody
	// wants (HTTP/2 resets just the stream).
	bodyRead bool
	// What is known of the caller and the call so far, for the
	// request.refused of an answer at the door (refusedEvent): the
	// credentials the request claims (untrusted), the session they opened,
	// the operation identified.
	claim *sigv4.Claim
	sess  *session.Session
	op    *awsmodel.Operation
	// security is the security.refused of a refusal that may be an attack
	// (securityRefusal), published with the call's request.refused;
	// replayed marks a replayed signature, whose sender proved nothing.
	security *schemas.SecurityRefused
	replayed bool
}

func (c *call) fail(e apiError) {
	if !c.bodyRead && c.r.ContentLength != 0 && c.r.ProtoMajor == 1 {
		c.w.Header().Set("Connection", "close")
	}
	writeError(c.w, c.protocol, c.id, e)
}

// serveAWS handles every AWS API call: authenticate, read the body, verify,
// identify, refuse replays, publish, wait, answer. Nothing large is read
// before the session token opens: until then the caller is a stranger.
func (g *Ingress) serveAWS(w http.ResponseWriter, r *http.Request) {
	c := &call{id: ids.New(), protocol: g.hints.guessProtocol(r), w: w, r: r}
	// Every answer names jitgate's request id, the one in the audit log.
	w.Header().Set("X-Jitgate-Request-Id", c.id)
	if !g.limits.enter() {
		// Refused before anything is read: a flood costs no more than this.
		w.Header().Set("Retry-After", retryAfter)
		g.refuseAtDoor(c, schemas.OutcomeThrottled, fmt.Sprintf("the replica's %d calls in flight are taken", g.cfg.MaxInFlight),
			throttled(c.protocol, "jitgate is serving as many calls as it is configured to"))
		return
	}
	defer g.limits.leave()
	now := g.deps.Now()
	if !signed(r) {
		// The one unsigned call is a small STS form: strangers cannot make
		// the gateway buffer large bodies before any signature check.
		body, ok := g.readBody(c, min(g.cfg.MaxBody, maxUnsignedBody))
		if ok {
			g.serveUnsigned(c, body)
		}
		return
	}
	sess, claim, ok := g.authenticate(c, now)
	if !ok {
		return
	}
	principal := sess.Principal.Issuer + " " + sess.Principal.Subject
	if !g.limits.enterAs(principal) {
		w.Header().Set("Retry-After", retryAfter)
		g.refuseAtDoor(c, schemas.OutcomeThrottled, fmt.Sprintf("the principal's %d calls in flight are taken", g.cfg.MaxInFlightPerPrincipal),
			throttled(c.protocol, fmt.Sprintf("too many calls in flight for %s (at most %d at once)", sess.Principal.Subject, g.cfg.MaxInFlightPerPrincipal)))
		return
	}
	defer g.limits.leaveAs(principal)
	if g.deps.Brokers != nil && !g.deps.Brokers.Reachable() {
		// Refused before anything is published: the call will not run,
		// so the answer is true and the SDK's retry is safe.
		w.Header().Set("Retry-After", retryAfter)
		g.refuseAtDoor(c, schemas.OutcomeUnavailable, "no Kafka broker answers", unavailable(c, "cannot reach its event log, so the call was not queued and will not run"))
		return
	}
	v, ok := g.verify(c, sess, func(akid, token string) (string, error) {
		// Verification finds the credentials where Credentials found
		// them; the session opened from those is the one to check against.
		if akid != claim.AccessKeyID || token != claim.SessionToken {
			return "", errors.New("credentials differ between the pre-check and verification")
		}
		return sess.SecretAccessKey, nil
	})
	if !ok {
		return
	}
	verified, op := v.res, v.op
	c.protocol, c.readOnly = op.Protocol, op.ReadOnly
	// The wait starts once the body is in: a large upload's transfer is
	// not the decision's time.
	ev, err := g.requestEvent(c, sess, v, g.deps.Now())
	if err != nil {
		g.refuseAtDoor(c, schemas.OutcomeRejected, err.Error(), apiError{http.StatusBadRequest, "InvalidRequest", err.Error()})
		return
	}
	seen, ok := g.claimSignature(c, sess, verified, op, now)
	if !ok {
		return
	}
	if op.Service == "sts" && op.Name == "GetCallerIdentity" {
		g.answerCallerIdentity(c, ev, sess, seen)
		return
	}
	g.dispatch(c, ev, v.body, seen)
}

// authenticate opens the session a request claims, from its Authorization
// header or presign query alone, before any of the body is read.
func (g *Ingress) authenticate(c *call, now time.Time) (session.Session, *sigv4.Claim, bool) {
	claim, err := sigv4.Credentials(c.r)
	if err != nil {
		g.refuseSignature(c, session.Session{}, err)
		return session.Session{}, nil, false
	}
	c.claim = claim
	sess, err := g.deps.Sealer.Open(claim.AccessKeyID, claim.SessionToken, now)
	if err != nil {
		g.refuseSignature(c, session.Session{}, fmt.Errorf("%w: %w", sigv4.ErrUnknownCredentials, err))
		return session.Session{}, nil, false
	}
	c.sess = &sess
	return sess, claim, true
}

// refuseSignature answers a request whose authentication failed, and
// records it as unauthenticated. Refusals that may be an attack by an
// authenticated caller (unsigned input) are recorded as security events
// too.
func (g *Ingress) refuseSignature(c *call, sess session.Session, err error) {
	switch {
	case errors.Is(err, session.ErrExpired):
		g.log.Info("signature rejected", "request_id", c.id, "code", "ExpiredToken", "err", err)
		g.refuseAtDoor(c, schemas.OutcomeUnauthenticated, err.Error(), apiError{http.StatusForbidden, "ExpiredToken",
			"the jitgate session has expired: get new credentials with AssumeRoleWithWebIdentity (request id " + c.id + ")"})
		return
	case errors.Is(err, sigv4.ErrUnsignedHeader), errors.Is(err, sigv4.ErrPayloadNotSigned):
		g.securityRefusal(c, &sess, nil, schemas.SecurityUnsignedInput, err.Error())
	default:
		g.log.Info("signature rejected", "request_id", c.id, "code", sigv4.Code(err), "err", err)
	}
	g.refuseAtDoor(c, schemas.OutcomeUnauthenticated, err.Error(),
		apiError{sigv4.HTTPStatus(err), sigv4.Code(err), fmt.Sprintf("%v (request id %s)", err, c.id)})
}

// answerCallerIdentity answers sts:GetCallerIdentity with the agent's own
// jitgate identity (the gateway's AWS identity is none of its business) and
// records the call and its answer like any other.
func (g *Ingress) answerCallerIdentity(c *call, ev *schemas.RequestReceived, sess session.Session, seen *claimedSignature) {
	rec := httptest.NewRecorder()
	sts.WriteCallerIdentity(rec, sess, c.id)
	ev.Answered, ev.ReplyTo = true, ""
	resp := &schemas.HTTPResponse{Status: rec.Code, Body: rec.Body.Bytes(), BodySize: int64(rec.Body.Len()),
		Headers: schemas.HeadersFrom(rec.Header(), nil)}
	reqEnv, err := g.sealed(c.id, ev)
	if err != nil {
		g.failInternally(c, err)
		return
	}
	respEnv, err := schemas.NewEnvelope(ids.New(), c.id, g.producer, g.deps.Now(), &schemas.ResponseReady{Outcome: schemas.OutcomeExecuted, Response: resp})
	if err != nil {
		g.failInternally(c, err)
		return
	}
	outs := []bus.Output{{Topic: schemas.TopicRequests, Envelope: reqEnv}, {Topic: schemas.TopicResponses, Envelope: respEnv}}
	outs = seen.outputs(outs)
	if err := g.deps.Publisher.Publish(c.r.Context(), outs...); err != nil {
		g.log.Error("could not record a caller-identity call", "request_id", c.id, "err", err)
		g.refuseAtDoor(c, schemas.OutcomeUnavailable, "could not publish the call: "+err.Error(), unavailable(c, "could not record the call"))
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

// signed reports whether r carries a signature in either form, SigV2
// included (refused with a message that says how to sign instead).
func signed(r *http.Request) bool {
	if r.Header.Get("Authorization") != "" {
		return true
	}
	q := r.URL.Query()
	return q.Get("X-Amz-Signature") != "" || sigv4.IsSigV2Presigned(q)
}

// serveUnsigned answers the one unsigned call agents make: STS
// AssumeRoleWithWebIdentity. Everything else needs a signature.
func (g *Ingress) serveUnsigned(c *call, body []byte) {
	form := c.r.URL.Query()
	if strings.HasPrefix(c.r.Header.Get("Content-Type"), "application/x-www-form-urlencoded") {
		posted, err := url.ParseQuery(string(body))
		if err != nil {
			g.refuseAtDoor(c, schemas.OutcomeRejected, "unsigned request with a form body that does not parse",
				apiError{http.StatusBadRequest, "MalformedQueryString", "could not parse the form body: " + err.Error()})
			return
		}
		for k, v := range posted {
			form[k] = v
		}
	}
	if form.Get("Action") == "AssumeRoleWithWebIdentity" {
		g.serveExchange(c, form)
		return
	}
	g.refuseAtDoor(c, schemas.OutcomeUnauthenticated, "unsigned request that is not AssumeRoleWithWebIdentity", apiError{http.StatusForbidden, "MissingAuthenticationToken",
		"request is not signed: get jitgate credentials with AssumeRoleWithWebIdentity and sign with SigV4 (request id " + c.id + ")"})
}

// failInternally answers a call the ingress itself could not carry on
// with (an event it could not build), before anything was published.
func (g *Ingress) failInternally(c *call, err error) {
	g.log.Error("call failed inside the ingress", "request_id", c.id, "err", err)
	g.refuseAtDoor(c, schemas.OutcomeError, "the ingress failed: "+err.Error(),
		apiError{http.StatusInternalServerError, "InternalFailure", fmt.Sprintf("jitgate failed inside its ingress; retry later (request id %s)", c.id)})
}
