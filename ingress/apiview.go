package ingress

import (
	"encoding/json"
	"time"

	"github.com/jitgate/jitgate/internal/api"
	"github.com/jitgate/jitgate/internal/awsmodel"
	"github.com/jitgate/jitgate/internal/holds"
	"github.com/jitgate/jitgate/internal/policy"
)

// holdView renders a hold for approvers. Parameters are in every view, since
// approvers must see what they approve and what a grant will pin; the
// method, path, pin and timeline only with detail (jitgate show). Secret
// parameters (members botocore marks sensitive, SSE-C keys, MFA codes) are
// masked in every view, the pin included (maskParams), and resources are
// read from the masked parameters.
func holdView(h holds.Hold, now time.Time, detail bool, ix *awsmodel.Index) api.Hold {
	req := h.Request
	params := maskParams(ix, req.Service, req.Operation, req.Params)
	v := api.Hold{
		ID: h.RequestID, State: string(h.StateAt(now)), OpenedAt: h.OpenedAt, Expires: h.Terms.Expires,
		Agent: req.Principal.Subject, Issuer: req.Principal.Issuer, Groups: req.Principal.Groups,
		Service: req.Service, Operation: req.Operation, Region: req.Region,
		Resources: resources(params), Params: params, Rule: h.Rule, Reason: h.Reason,
		Approvers: h.Terms.Approvers, Needed: h.Terms.Approvals, RequireJustification: h.Terms.RequireJustification,
		ResolvedBy: h.ResolvedBy, ResolvedReason: h.ResolvedReason, GrantID: h.GrantID,
	}
	if h.Terms.Grant != nil {
		v.GrantFor, v.GrantScope = h.Terms.Grant.For.String(), h.Terms.Grant.Scope
	}
	if h.Justification != nil {
		v.Justification, v.JustifiedBy = h.Justification.Text, holds.Identity(h.Justification.By)
	}
	for _, a := range h.Approvals {
		ap := api.Approval{By: holds.Identity(a.By), Reason: a.Reason, At: a.At}
		if a.For > 0 {
			ap.For = a.For.String()
		}
		v.Approvals = append(v.Approvals, ap)
	}
	if !detail {
		return v
	}
	v.Method, v.Path, v.Source = req.HTTP.Method, req.HTTP.Path, req.Source
	if pin, err := holds.Pin(h); err == nil {
		v.GrantPin = maskParams(ix, req.Service, req.Operation, pin)
	} else if h.Terms.Grant != nil {
		// Say so rather than show nothing: approving still runs the held
		// call once, but opens no grant.
		v.GrantPin, _ = json.Marshal(map[string]string{"error": "no grant can pin this call: " + err.Error()})
	}
	v.Timeline = append(v.Timeline, api.Event{At: h.OpenedAt, What: "held", By: "rule " + h.Rule, Detail: h.Reason})
	if h.Justification != nil {
		v.Timeline = append(v.Timeline, api.Event{At: h.Justification.At, What: "justified", By: v.JustifiedBy, Detail: h.Justification.Text})
	}
	for _, a := range v.Approvals {
		v.Timeline = append(v.Timeline, api.Event{At: a.At, What: "approved", By: a.By, Detail: a.Reason})
	}
	switch st := h.StateAt(now); st {
	case holds.StatePending:
	case holds.StateExpired:
		at := h.ResolvedAt
		if at.IsZero() {
			at = h.Terms.Expires
		}
		v.Timeline = append(v.Timeline, api.Event{At: at, What: "expired", Detail: "nobody decided in time"})
	default:
		v.Timeline = append(v.Timeline, api.Event{At: h.ResolvedAt, What: string(st), By: h.ResolvedBy, Detail: h.ResolvedReason})
	}
	return v
}

// grantView renders a grant; its pinned parameters are masked like a
// hold's.
func grantView(g holds.Grant, ix *awsmodel.Index) api.Grant {
	return api.Grant{
		ID: g.GrantID, RequestID: g.RequestID, Agent: g.Principal.Subject, Scope: g.Scope,
		Service: g.Service, Operation: g.Operation, Params: maskParams(ix, g.Service, g.Operation, g.Params), Match: g.Match,
		Expires: g.Expires, ApprovedBy: g.ApprovedBy, Revoked: g.Revoked, RevokedBy: g.RevokedBy,
	}
}

// resources names the key parameters of a request (bucket, table, ...).
func resources(params json.RawMessage) map[string]string {
	var m map[string]any
	if json.Unmarshal(params, &m) != nil {
		return nil
	}
	r := policy.ExtractResources(m)
	out := map[string]string{}
	add := func(k, v string) {
		if v != "" {
			out[k] = v
		}
	}
	add("bucket", r.Bucket)
	add("key", r.Key)
	add("table", r.Table)
	add("function", r.Function)
	add("queue", r.Queue)
	add("topic", r.Topic)
	add("role", r.RoleArn)
	add("user", r.User)
	if len(r.Instances) > 0 {
		add("instances", joinShort(r.Instances))
	}
	if len(out) == 0 {
		return nil
	}
	return out
}

func joinShort(xs []string) string {
	s := ""
	for i, x := range xs {
		if i == 3 {
			return s + ", ..."
		}
		if i > 0 {
			s += ", "
		}
		s += x
	}
	return s
}
