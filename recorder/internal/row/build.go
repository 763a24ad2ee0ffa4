package row

import (
	"strings"

	"github.com/jitgate/jitgate/internal/bus"
	"github.com/jitgate/jitgate/schemas"
)

// TypeUndecodable is the type column of a record that is not an event this
// build can decode.
const TypeUndecodable = "undecodable"

// Build returns the row for one consumed message. It never fails: a record
// that does not decode becomes an "undecodable" row.
func (b *Builder) Build(m bus.Message) Row {
	env := m.Envelope
	if env.ID == "" {
		return b.undecodable(m, nil)
	}
	p, err := env.Decode()
	if err != nil {
		return b.undecodable(m, err)
	}
	r := Row{
		EventID:   env.ID,
		Type:      string(env.Type),
		Version:   uint16(max(env.Version, 0)),
		RequestID: env.RequestID,
		Producer:  env.Producer,
		Topic:     m.Topic,
		Partition: m.Partition,
		Offset:    m.Offset,
	}
	r.setTime(env.Time)
	b.flatten(p, m.Topic, &r)
	if err := env.SetPayload(p); err != nil { // cannot happen for payloads that just decoded
		return b.undecodable(m, err)
	}
	out, err := env.Marshal()
	if err != nil {
		return b.undecodable(m, err)
	}
	r.Payload = string(out)
	return r
}

// flatten fills the queryable columns from p and scrubs p in place.
func (b *Builder) flatten(p schemas.Payload, topic string, r *Row) {
	switch p := p.(type) {
	case *schemas.RequestReceived:
		b.request(p, true, r)
	case *schemas.RequestBodyChunk:
		r.BodySize = uint64(len(p.Data))
		if len(p.Data) > 0 {
			r.note("data: chunk, not recorded")
		}
		p.Data = nil
	case *schemas.DecisionMade:
		b.request(&p.Request, false, r)
		r.Outcome, r.Rule, r.Reason, r.GrantID = string(p.Outcome), p.Rule, p.Reason, p.GrantID
		if p.Role != "" {
			r.Role = p.Role
		}
		if p.Hold != nil {
			r.Approvers = p.Hold.Approvers
		}
	case *schemas.HoldOpened:
		b.request(&p.Request, false, r)
		r.Outcome, r.Rule, r.Reason, r.Approvers = string(schemas.Hold), p.Rule, p.Reason, p.Terms.Approvers
	case *schemas.HoldJustified:
		r.Principal, r.Groups, r.Reason = p.By.Subject, p.By.Groups, p.Text
	case *schemas.ApprovalGiven:
		r.Approver, r.Reason = p.By.Subject, p.Reason
	case *schemas.HoldApproved:
		r.Outcome, r.Approvers, r.GrantID = "approved", p.Approvers, p.GrantID
	case *schemas.HoldDenied:
		r.Outcome, r.Approver, r.Reason = "denied", p.By.Subject, p.Reason
	case *schemas.HoldExpired:
		r.Outcome = "expired"
	case *schemas.GrantOpened:
		r.GrantID, r.Principal, r.Groups = p.GrantID, p.Principal.Subject, p.Principal.Groups
		r.Service, r.Operation, r.Role, r.Approvers = p.Service, p.Operation, p.Role, p.ApprovedBy
		r.Rule = p.Scope
		p.Params = b.params(p.Params, p.Service, p.Operation, "params", r)
	case *schemas.GrantRevoked:
		r.GrantID, r.Approver, r.Reason = p.GrantID, p.By.Subject, p.Reason
	case *schemas.ExecutionStarted:
		if p.ReadOnly {
			r.ReadOnly = 1
		}
	case *schemas.ExecutionFinished:
		r.Service, r.Operation, r.Error, r.DurationMS = p.Service, p.Operation, p.Error, p.DurationMS
		b.rawResponse(&p.Response, r)
	case *schemas.ResponseReady:
		r.Outcome = p.Outcome
		if p.Response != nil {
			rs := p.Response
			r.Status = status(rs.Status)
			r.Body = b.body(contentType(rs.Headers), "", "", rs.Body, "response.body", r)
			r.BodySize = uint64(max(rs.BodySize, int64(len(rs.Body))))
			rs.Body = nil
			rs.Headers = b.headers(rs.Headers, "response.headers", r)
		}
		if p.Error != nil {
			r.Status = status(p.Error.Status)
			r.Error = p.Error.Code + ": " + p.Error.Message
		}
	case *schemas.RequestRefused:
		// A call answered at the ingress's door: its terminal outcome.
		// Service is the signing name when the call was not identified.
		// The access key id claimed is the session id only once the
		// session opened; a stranger's claim stays in the payload.
		if p.Principal != nil {
			r.Principal, r.Groups, r.SessionID = p.Principal.Subject, p.Principal.Groups, p.ClaimedAccessKeyID
		}
		r.Source, r.Service, r.Operation, r.Region = p.Source, p.Service, p.Operation, p.Region
		if r.Service == "" {
			r.Service = p.SigningName
		}
		r.Outcome, r.Reason = p.Outcome, p.Reason
		r.Status, r.Error = status(p.Error.Status), p.Error.Code+": "+p.Error.Message
	case *schemas.SessionIssued:
		// A credential exchange answered with credentials: its terminal
		// outcome. The session id ties it to the session's calls.
		r.Principal, r.Groups, r.SessionID, r.Role, r.Source = p.Principal.Subject, p.Principal.Groups, p.SessionID, p.Role, p.Source
		r.Service, r.Operation, r.Outcome, r.Status = "sts", "AssumeRoleWithWebIdentity", schemas.OutcomeIssued, 200
	case *schemas.ResponseBodyChunk:
		r.BodySize = uint64(len(p.Data))
		if len(p.Data) > 0 {
			r.note("data: chunk, not recorded")
		}
		p.Data = nil
	case *schemas.PolicyLoaded:
		r.Reason = p.Source
	case *schemas.DeadLetter:
		// The original record is kept in Kafka for redrive; its value may
		// hold bodies, so only its place and the reason are recorded.
		r.Outcome, r.Reason, r.Error, r.BodySize = p.Kind, p.Stage, p.Reason, uint64(p.ValueSize)
		if len(p.Value) > 0 || len(p.Key) > 0 || len(p.Headers) > 0 {
			r.note("value: original record, not recorded")
		}
		p.Value, p.Key, p.Headers = nil, nil, nil
	}
	if topic == schemas.TopicExecutions && r.Type != string(schemas.TypeExecutionFinished) {
		// Nothing else on the raw topic carries a body today; this keeps a
		// future one out until someone decides how to mask it.
		r.Body = nil
	}
}

// rawResponse strips an unmasked upstream answer down to its metadata.
func (b *Builder) rawResponse(rs *schemas.HTTPResponse, r *Row) {
	r.Status = status(rs.Status)
	r.BodySize = uint64(max(rs.BodySize, int64(len(rs.Body))))
	if len(rs.Body) > 0 {
		r.note("response.body: raw, not recorded")
	}
	rs.Body = nil
	rs.Headers = b.headers(rs.Headers, "response.headers", r)
}

func status(s int) uint16 {
	if s < 0 || s > 65535 {
		return 0
	}
	return uint16(s)
}

// trunc shortens s to at most n bytes.
func trunc(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return strings.ToValidUTF8(s[:n], "")
}
