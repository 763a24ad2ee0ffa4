package masker

// Reading an upstream body for masking: undo its Content-Encoding, pick the
// format the engine parses it as, mask it, and say what to tell the agent
// when it cannot be checked. Every path that cannot check a body withholds
// it; none passes it on unread.

import (
	"bytes"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/jitgate/jitgate/internal/redact"
	"github.com/jitgate/jitgate/schemas"
)

// protoCBOR is the protocol name the ingress gives smithy rpc-v2-cbor
// requests (schemas.RequestReceived.Protocol).
const protoCBOR = "smithy-rpc-v2-cbor"

// contentEncoding returns every Content-Encoding value, comma-joined.
func contentEncoding(h http.Header) string {
	return strings.Join(h.Values("Content-Encoding"), ",")
}

// maskBody decodes and masks body, updating h when the body it returns is
// not the upstream's bytes (decoded: Content-Encoding dropped; decoded or
// masked: length and checksums fixed). The error is a *withheldError.
func (k *Masker) maskBody(h http.Header, fin *schemas.ExecutionFinished, body []byte) (redact.Result, error) {
	ct := h.Get("Content-Type")
	ce := contentEncoding(h)
	decoded := false
	if len(body) > 0 && redact.Encoded(ce) && redact.Maskable(ct, ce, fin.Service, fin.Operation) {
		var err error
		if body, err = redact.Decode(ce, body, k.cfg.MaxBody); err != nil {
			return redact.Result{}, decodeFailure(ce, k.cfg.MaxBody, err)
		}
		decoded = true
		h.Del("Content-Encoding")
		if redact.Opaque(ct) {
			// A label such as application/octet-stream says nothing about
			// a compressed API answer: look at the decoded bytes instead.
			ct = ""
		}
	}
	if ct == "" && fin.Protocol == protoCBOR {
		ct = "application/cbor" // the first-byte sniff knows only JSON and XML
	}
	if b := bytes.TrimLeft(body, " \t\r\n"); ct == "" && documentProtocols[fin.Protocol] && len(b) > 0 && b[0] != '{' && b[0] != '[' && b[0] != '<' {
		// Without a content type the engine sniffs JSON and XML only and
		// passes anything else on unread.
		return redact.Result{}, &withheldError{
			reason: fmt.Sprintf("the %s answer has no Content-Type and is neither JSON nor XML", fin.Protocol),
			agent:  "jitgate withheld the response because it came back without a content type in a format jitgate cannot read, so it could not be checked for secrets",
		}
	}
	res, err := k.engine.Mask(ct, scopeOf(fin), body)
	if err != nil {
		return redact.Result{}, &withheldError{
			reason: "the response body does not parse as its content type says",
			agent:  "jitgate withheld the response because it could not be checked for secrets (the body does not parse); retry the call",
			err:    err,
		}
	}
	if decoded || res.Changed {
		redact.FixHeaders(h, res.Body)
	}
	return res, nil
}

// decodeFailure explains a body whose Content-Encoding could not be undone.
func decodeFailure(ce string, max int64, err error) *withheldError {
	w := &withheldError{err: err}
	switch {
	case errors.Is(err, redact.ErrUnsupportedEncoding):
		w.reason = fmt.Sprintf("the response is encoded with %q, which the masker cannot decode", ce)
		w.agent = fmt.Sprintf("jitgate withheld the response because it came back with Content-Encoding %q, "+
			"which jitgate cannot decode to check for secrets; do not sign an Accept-Encoding header, "+
			"or sign one that allows only gzip, deflate or identity", ce)
	case errors.Is(err, redact.ErrDecodedTooLarge):
		w.reason = fmt.Sprintf("the %q-encoded response decodes to more than %d bytes", ce, max)
		w.agent = fmt.Sprintf("jitgate withheld the response because it decompresses to more than %d bytes, "+
			"too large to check for secrets; ask for less data (pagination, filters)", max)
	default:
		w.reason = fmt.Sprintf("the %q-encoded response does not decode", ce)
		w.agent = fmt.Sprintf("jitgate withheld the response because its %q encoding is corrupt, "+
			"so it could not be checked for secrets; retry the call", ce)
	}
	return w
}

// documentProtocols answer every call with a document (JSON, XML or CBOR),
// never with a payload of the caller's: an answer to them that is not in a
// format the masker reads cannot be checked.
var documentProtocols = map[string]bool{"json": true, "query": true, "ec2": true, protoCBOR: true}

// eventStream is the content type of event-stream answers (kinesis
// SubscribeToShard, ...), which the masker passes on as it does payloads.
const eventStream = "application/vnd.amazon.eventstream"

// opaqueDocument reports an answer of a document protocol whose content
// type the masker does not read (application/x-amz-ion-1.0, text/plain,
// application/octet-stream, ...). Masking would pass it on unread, so it is
// withheld: a front end that answers in another format (AWS's JSON front
// ends also speak Ion) must not carry credentials past the masker.
func opaqueDocument(fin *schemas.ExecutionFinished, contentType string) *withheldError {
	if !documentProtocols[fin.Protocol] || fin.Response.BodySize == 0 || !redact.Opaque(contentType) {
		return nil
	}
	if mt, _, _ := strings.Cut(contentType, ";"); strings.EqualFold(strings.TrimSpace(mt), eventStream) {
		return nil
	}
	return &withheldError{
		reason: fmt.Sprintf("the %s answer has Content-Type %q, which the masker does not read", fin.Protocol, contentType),
		agent: fmt.Sprintf("jitgate withheld the response because it came back as %q, which jitgate cannot read, so it could not be checked for secrets; "+
			"do not sign an Accept header, or sign one that asks for the protocol's own format (JSON, XML or CBOR)", contentType),
	}
}

// scopeOf is the call a response belongs to. The caller is known when the
// executor copied the request's principal into execution.finished; when it
// did not, every rule scoped to principals or groups applies.
func scopeOf(fin *schemas.ExecutionFinished) redact.Scope {
	s := redact.Scope{Service: fin.Service, Operation: fin.Operation}
	if p := fin.Principal; p != nil {
		s.Principal = &redact.Principal{Subject: p.Subject, Groups: p.Groups}
	}
	return s
}

// maskedRecord is response.ready's masked list: the masked paths, then one
// "rule:NAME=N" or "rule:NAME/DETECTOR=N" entry per rule and detector that
// fired, with how many values it masked. Never a value.
func maskedRecord(res redact.Result) []string {
	out := append([]string(nil), res.Fields...)
	for _, h := range res.Hits {
		name := h.Rule
		if h.Detector != "" {
			name += "/" + h.Detector
		}
		out = append(out, fmt.Sprintf("rule:%s=%d", name, h.Count))
	}
	return out
}
