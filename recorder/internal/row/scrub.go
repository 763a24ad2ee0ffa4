package row

import (
	"encoding/json"
	"strings"

	"github.com/jitgate/jitgate/internal/redact"
	"github.com/jitgate/jitgate/schemas"
)

// sensitiveHeaders are never stored, whatever the event (lowercase).
var sensitiveHeaders = map[string]bool{
	"authorization":        true,
	"proxy-authorization":  true,
	"x-amz-security-token": true,
	"cookie":               true,
	"set-cookie":           true,
	"x-amz-server-side-encryption-customer-key":             true,
	"x-amz-copy-source-server-side-encryption-customer-key": true,
}

// SensitiveHeader reports whether a header with this name is dropped.
func SensitiveHeader(name string) bool { return sensitiveHeaders[strings.ToLower(name)] }

// Builder turns messages into rows. It is immutable and safe for concurrent
// use.
type Builder struct {
	redactor *redact.Engine
	bodyCap  int
}

// NewBuilder returns a Builder that masks with e (required) and keeps at
// most bodyCap bytes of each masked body (0 keeps none).
func NewBuilder(e *redact.Engine, bodyCap int) *Builder {
	return &Builder{redactor: e, bodyCap: max(bodyCap, 0)}
}

// headers drops the sensitive headers, noting each under where.
func (b *Builder) headers(hs []schemas.Header, where string, r *Row) []schemas.Header {
	out := hs[:0:0]
	for _, h := range hs {
		if SensitiveHeader(h.Name) {
			r.note(where + "." + strings.ToLower(h.Name))
			continue
		}
		out = append(out, h)
	}
	return out
}

// contentType returns the Content-Type header's value, or "".
func contentType(hs []schemas.Header) string {
	for _, h := range hs {
		if strings.EqualFold(h.Name, "Content-Type") {
			return h.Value
		}
	}
	return ""
}

// body masks and caps a body for the body column. A body the engine cannot
// parse is dropped (fail closed).
func (b *Builder) body(ct, service, op string, body []byte, where string, r *Row) []byte {
	if len(body) == 0 {
		return nil
	}
	if b.bodyCap == 0 {
		r.note(where + ": not kept (body cap 0)")
		return nil
	}
	res, err := b.redactor.Body(ct, service, op, body)
	if err != nil {
		r.note(where + ": dropped, cannot be masked")
		return nil
	}
	if res.Changed {
		for _, f := range res.Fields {
			r.note(where + ": masked " + f)
		}
	}
	out := res.Body
	if len(out) > b.bodyCap {
		out = out[:b.bodyCap]
		r.note(where + ": truncated")
	}
	return append([]byte(nil), out...)
}

// params masks a JSON parameter object; one that cannot be masked is
// dropped.
func (b *Builder) params(p json.RawMessage, service, op, where string, r *Row) json.RawMessage {
	if len(p) == 0 {
		return p
	}
	res, err := b.redactor.Body("application/json", service, op, p)
	if err != nil || !json.Valid(res.Body) {
		r.note(where + ": dropped, cannot be masked")
		return nil
	}
	for _, f := range res.Fields {
		r.note(where + ": masked " + f)
	}
	return json.RawMessage(res.Body)
}

// query masks a raw query string like a form body.
func (b *Builder) query(q, service, op, where string, r *Row) string {
	if q == "" {
		return q
	}
	res, err := b.redactor.Body("application/x-www-form-urlencoded", service, op, []byte(q))
	if err != nil {
		r.note(where + ": dropped, cannot be masked")
		return ""
	}
	for _, f := range res.Fields {
		r.note(where + ": masked " + f)
	}
	return string(res.Body)
}

// request scrubs an embedded request in place. With keepBody the masked,
// capped body goes to the row's body column; the payload never keeps it.
func (b *Builder) request(rq *schemas.RequestReceived, keepBody bool, r *Row) {
	r.Principal = rq.Principal.Subject
	r.Groups = rq.Principal.Groups
	r.SessionID = rq.SessionID
	r.Role = rq.Role
	r.Source = rq.Source
	r.Service = rq.Service
	r.Operation = rq.Operation
	r.Region = rq.Region
	if rq.ReadOnly {
		r.ReadOnly = 1
	}
	h := &rq.HTTP
	if keepBody {
		r.Body = b.body(contentType(h.Headers), rq.Service, rq.Operation, h.Body, "request.body", r)
		r.BodySize = uint64(max(h.BodySize, int64(len(h.Body))))
	}
	h.Body = nil
	h.Headers = b.headers(h.Headers, "request.headers", r)
	h.RawQuery = b.query(h.RawQuery, rq.Service, rq.Operation, "request.query", r)
	rq.Params = b.params(rq.Params, rq.Service, rq.Operation, "request.params", r)
}
