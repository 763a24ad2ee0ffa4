package awsmodel

// REST protocols (rest-json, rest-xml): the operation is the most specific
// requestUri template that matches the method, path and literal query, and
// whose required querystring and header members are present. The x-id query
// parameter (added by the Go SDK to S3 requests) names the operation outright.

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/jitgate/jitgate/internal/awsmodel/internal/modelfile"
)

type route struct {
	op     *operation
	tpl    template
	checks []memberCheck // querystring and header members
	bound  []boundParam  // how to read each bound member
	// claimed are query keys of non-map members; a map member gets the rest.
	claimed map[string]bool
	// labelMember maps a template label (location name) to its member name.
	labelMember map[string]string
}

// memberCheck is a querystring or header member whose presence counts.
type memberCheck struct {
	key      string // query key, or canonical header name
	header   bool
	required bool
}

// boundParam is a querystring or header(s) member with its lookup key
// precomputed: the query key, the canonical header name, or the lower-case
// header prefix.
type boundParam struct {
	modelfile.Member
	key string
}

func newRoute(o *operation) *route {
	rt := &route{op: o, tpl: parseTemplate(o.URI)}
	for _, b := range o.Bound {
		key := locName(b)
		switch b.Loc {
		case modelfile.LocURI:
			if rt.labelMember == nil {
				rt.labelMember = map[string]string{}
			}
			rt.labelMember[key] = b.Name
		case modelfile.LocQuery:
			rt.bound = append(rt.bound, boundParam{b, key})
			if !b.Map {
				rt.checks = append(rt.checks, memberCheck{key: key, required: b.Required})
				if rt.claimed == nil {
					rt.claimed = map[string]bool{}
				}
				rt.claimed[key] = true
			}
		case modelfile.LocHeader:
			key = http.CanonicalHeaderKey(key)
			rt.bound = append(rt.bound, boundParam{b, key})
			rt.checks = append(rt.checks, memberCheck{key: key, header: true, required: b.Required})
		case modelfile.LocHeaders:
			rt.bound = append(rt.bound, boundParam{b, strings.ToLower(key)})
		}
	}
	return rt
}

func locName(b modelfile.Member) string {
	if b.LocName != "" {
		return b.LocName
	}
	return b.Name
}

// restMatch is one candidate match and its ranking.
type restMatch struct {
	rt    *route
	score int
}

// better reports whether m ranks above n among routes of one service: higher
// score, then not deprecated (GetBucketLifecycleConfiguration over
// GetBucketLifecycle), then the shorter, more generic name (ListBuckets over
// ListDirectoryBuckets), then by name.
func (m restMatch) better(n restMatch) bool {
	if m.score != n.score {
		return m.score > n.score
	}
	if m.rt.op.Deprecated != n.rt.op.Deprecated {
		return !m.rt.op.Deprecated
	}
	if len(m.rt.op.Name) != len(n.rt.op.Name) {
		return len(m.rt.op.Name) < len(n.rt.op.Name)
	}
	return m.rt.op.Name < n.rt.op.Name
}

func identifyREST(cands []*service, r *http.Request, path string, body []byte) (*Operation, error) {
	q := r.URL.Query()
	xid := q.Get("x-id")
	segs := splitPath(path)
	var best []restMatch // best match per service, only the top-scoring services
	tried := 0
	for _, s := range cands {
		if !s.speaks("rest-json") && !s.speaks("rest-xml") {
			continue
		}
		tried++
		if err := s.load(); err != nil {
			return nil, err
		}
		var top *restMatch
		for _, rt := range s.routes[r.Method] {
			m, ok := matchRoute(rt, segs, q, r.Header, xid)
			if ok && (top == nil || m.better(*top)) {
				top = &m
			}
		}
		if top == nil {
			continue
		}
		switch {
		case len(best) == 0 || top.score > best[0].score:
			best = []restMatch{*top}
		case top.score == best[0].score:
			best = append(best, *top)
		}
	}
	switch {
	case tried == 0:
		return nil, fmt.Errorf("%w: %s %s has no X-Amz-Target, Smithy-Protocol or Action, and none of [%s] is a REST service",
			ErrUnknownOperation, r.Method, path, serviceIDs(cands))
	case len(best) == 0:
		return nil, fmt.Errorf("%w: no REST operation of [%s] matches %s %s", ErrUnknownOperation, serviceIDs(cands), r.Method, path)
	case len(best) > 1:
		ops := make([]*operation, len(best))
		for i, m := range best {
			ops[i] = m.rt.op
		}
		return nil, ambiguous(r.Method+" "+path, ops)
	}
	m := best[0]
	params, err := restParams(m, segs, q, r.Header, body)
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w", m.rt.op.svc.info.ID, m.rt.op.Name, err)
	}
	return newOperation(m.rt.op, m.rt.op.svc.info.Protocols[0], params)
}

// matchRoute matches one route; the score adds path specificity, literal
// query keys, present required and optional members, and x-id.
func matchRoute(rt *route, segs []string, q url.Values, h http.Header, xid string) (restMatch, bool) {
	if xid != "" && xid != rt.op.Name {
		return restMatch{}, false
	}
	score, ok := rt.tpl.matchPath(segs, nil)
	if !ok {
		return restMatch{}, false
	}
	qs, ok := rt.tpl.matchQuery(q)
	if !ok {
		return restMatch{}, false
	}
	score += qs
	if xid != "" {
		score += 1000
	}
	for _, c := range rt.checks {
		var present bool
		if c.header {
			_, present = h[c.key]
		} else {
			_, present = q[c.key]
		}
		switch {
		case c.required && !present:
			return restMatch{}, false
		case c.required:
			score += 20
		case present:
			score++
		}
	}
	return restMatch{rt: rt, score: score}, true
}

// restParams extracts labels, querystring and header members, and for
// rest-json the body members.
func restParams(m restMatch, segs []string, q url.Values, h http.Header, body []byte) (map[string]any, error) {
	op := m.rt.op
	labels := map[string]string{}
	m.rt.tpl.matchPath(segs, labels)
	params := make(map[string]any, len(labels)+len(op.Bound))
	for label, v := range labels {
		name := m.rt.labelMember[label]
		if name == "" {
			name = label
		}
		params[name] = v
	}
	for _, b := range m.rt.bound {
		switch b.Loc {
		case modelfile.LocQuery:
			switch {
			case b.Map:
				mv := map[string]string{}
				for k, vs := range q {
					if !m.rt.claimed[k] && !isPresignParam(k) && len(vs) > 0 {
						mv[k] = vs[0]
					}
				}
				if len(mv) > 0 {
					params[b.Name] = mv
				}
			case b.List:
				if vs, ok := q[b.key]; ok {
					params[b.Name] = vs
				}
			default:
				if vs, ok := q[b.key]; ok && len(vs) > 0 {
					params[b.Name] = vs[0]
				}
			}
		case modelfile.LocHeader:
			v, ok := h[b.key]
			if !ok || len(v) == 0 {
				continue
			}
			if b.List {
				var parts []string
				for _, x := range v {
					for _, p := range strings.Split(x, ",") {
						parts = append(parts, strings.TrimSpace(p))
					}
				}
				params[b.Name] = parts
			} else {
				params[b.Name] = v[0]
			}
		case modelfile.LocHeaders:
			mv := map[string]string{}
			for k, vs := range h {
				if len(k) > len(b.key) && strings.EqualFold(k[:len(b.key)], b.key) && len(vs) > 0 {
					mv[strings.ToLower(k[len(b.key):])] = vs[0]
				}
			}
			if len(mv) > 0 {
				params[b.Name] = mv
			}
		}
	}
	if op.svc.info.Protocols[0] != "rest-json" || len(body) == 0 {
		return params, nil
	}
	switch {
	case op.Payload != "" && op.PayloadStruct:
		obj, err := decodeJSONObject(body)
		if err != nil {
			return nil, err
		}
		params[op.Payload] = obj
	case op.Payload == "" && len(op.Body) > 0:
		obj, err := decodeJSONObject(body)
		if err != nil {
			return nil, err
		}
		for k, v := range obj {
			if _, bound := params[k]; !bound {
				params[k] = v
			}
		}
	}
	return params, nil
}
