package sts

// This file handles the STS query protocol on the wire: parsing the form of
// AssumeRoleWithWebIdentity and writing XML answers and errors.

import (
	"crypto/rand"
	"encoding/xml"
	"errors"
	"fmt"

	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/jitgate/jitgate/internal/session"
)

// ActionAssumeRoleWithWebIdentity is the query-protocol Action of the call.
const ActionAssumeRoleWithWebIdentity = "AssumeRoleWithWebIdentity"

// IsAssumeRoleWithWebIdentity reports whether a request is an
// AssumeRoleWithWebIdentity call: a GET or POST whose form (the query and the
// url-encoded body, parsed by the caller) has that Action. form nil means
// the URL query only. Signature headers are not looked at: the web identity
// token is the call's only credential and SDKs send it unsigned, and the
// call must never be forwarded to AWS whether signed or not.
func IsAssumeRoleWithWebIdentity(r *http.Request, form url.Values) bool {
	if r.Method != http.MethodGet && r.Method != http.MethodPost {
		return false
	}
	if form == nil {
		form = r.URL.Query()
	}
	return form.Get("Action") == ActionAssumeRoleWithWebIdentity
}

// ParseAssumeRoleInput reads the call's parameters from a query-protocol
// form. Session policies (Policy, PolicyArns) are refused rather than
// ignored, since jitgate cannot honour them. Errors are *Error.
func ParseAssumeRoleInput(form url.Values) (AssumeRoleInput, error) {
	in := AssumeRoleInput{
		RoleARN:          form.Get("RoleArn"),
		RoleSessionName:  form.Get("RoleSessionName"),
		WebIdentityToken: form.Get("WebIdentityToken"),
	}
	if d := form.Get("DurationSeconds"); d != "" {
		n, err := strconv.ParseInt(d, 10, 64)
		if err != nil {
			return AssumeRoleInput{}, newError(ErrValidation,
				"1 validation error detected: DurationSeconds must be an integer", nil)
		}
		in.DurationSeconds = n
	}
	for k := range form {
		if k == "Policy" || strings.HasPrefix(k, "PolicyArns") {
			return AssumeRoleInput{}, newError(ErrValidation,
				"session policies (Policy, PolicyArns) are not supported: jitgate's own policy decides what a session may do", nil)
		}
	}
	return in, nil
}

// ServeAssumeRoleWithWebIdentity answers an AssumeRoleWithWebIdentity request
// whose form the caller has parsed (nil: parse r's query and body here). It
// writes the STS XML response, or an STS XML error with the status STS uses,
// and returns what the exchange came to, for the caller to record. An empty
// requestID gets a random one.
func (s *Service) ServeAssumeRoleWithWebIdentity(w http.ResponseWriter, r *http.Request, form url.Values, requestID string) Exchange {
	if requestID == "" {
		requestID = newRequestID()
	}
	refuse := func(x Exchange, err error) Exchange {
		x.Err = asError(err)
		writeError(w, x.Err, requestID)
		return x
	}
	if form == nil {
		if err := r.ParseForm(); err != nil {
			return refuse(Exchange{}, newError(ErrValidation, "the request body is not a valid form", nil))
		}
		form = r.Form
	}
	in, err := ParseAssumeRoleInput(form)
	if err != nil {
		return refuse(Exchange{Role: form.Get("RoleArn"), SessionName: form.Get("RoleSessionName")}, err)
	}
	out, x := s.exchange(r.Context(), in)
	if x.Err != nil {
		writeError(w, x.Err, requestID)
		return x
	}
	var resp assumeRoleWithWebIdentityResponse
	resp.Xmlns = stsNamespace
	resp.Result.Credentials = credentialsXML{
		AccessKeyID:     out.Session.AccessKeyID,
		SecretAccessKey: out.Session.SecretAccessKey,
		SessionToken:    out.SessionToken,
		Expiration:      out.Session.Expires.UTC().Format(expirationLayout),
	}
	resp.Result.SubjectFromWebIdentityToken = out.Session.Principal.Subject
	resp.Result.AssumedRoleUser = assumedRoleUserXML{Arn: out.AssumedRoleARN, AssumedRoleID: out.AssumedRoleID}
	resp.Result.Provider = out.Provider
	resp.Result.Audience = out.Audience
	resp.ResponseMetadata.RequestID = requestID
	writeXML(w, http.StatusOK, resp, requestID)
	return x
}

// WriteCallerIdentity writes the GetCallerIdentity response for sess: the
// assumed-role ARN of its role and session name, the matching UserId, and
// the role's account (DefaultAccount if the role ARN has none).
func WriteCallerIdentity(w http.ResponseWriter, sess session.Session, requestID string) {
	if requestID == "" {
		requestID = newRequestID()
	}
	var resp getCallerIdentityResponse
	resp.Xmlns = stsNamespace
	resp.Result.Arn, resp.Result.UserID, resp.Result.Account = assumedRole(sess.RoleARN, sess.SessionName)
	resp.ResponseMetadata.RequestID = requestID
	writeXML(w, http.StatusOK, resp, requestID)
}

// writeError writes err in the STS error shape. An err that is not an
// *Error is answered as InternalFailure without its text.
func writeError(w http.ResponseWriter, err error, requestID string) {
	var e *Error
	if !errors.As(err, &e) {
		e = newError(ErrInternal, "internal error", err)
	}
	var resp errorResponse
	resp.Xmlns = stsNamespace
	resp.Error.Type = e.faultType()
	resp.Error.Code = e.Code.Error()
	resp.Error.Message = e.Message
	resp.RequestID = requestID
	writeXML(w, e.HTTPStatus(), resp, requestID)
}

func writeXML(w http.ResponseWriter, status int, v any, requestID string) {
	b, err := xml.Marshal(v)
	if err != nil { // only our own fixed structs are marshalled
		http.Error(w, "encode response", http.StatusInternalServerError)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/xml")
	h.Set("Content-Length", strconv.Itoa(len(b)))
	h.Set("X-Amzn-Requestid", requestID)
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	w.Write(b)
}

// newRequestID returns a random UUID-shaped request id.
func newRequestID() string {
	var b [16]byte
	rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}
