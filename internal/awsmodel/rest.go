package awsmodel

// REST protocols (rest-json, rest-xml): the operation is the most specific
// requestUri template that matches the method, path and literal query, and
// whose required querystring and header members are present. The x-id query
// parameter (added by the Go SDK to S3 requests) never chooses the route: when
// present it must name the operation chosen without it.
//
// One reading: every query key is one the chosen operation models (a literal
// key of its template, a bound querystring member, any key when a map member
// takes the rest, presign parameters, x-id); a key is given twice only for a
// list member; no two keys are equal but for case; a non-list header member
// is given once; every header that any route of the same method and path
// reads is signed (Hint.SignedHeaders); "//" only inside a greedy label.

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
	// lists are query keys of list members: the only keys given twice.
	lists map[string]bool
	// absorbs: a map member takes every query key no other member claims.
	absorbs bool
	// literal are the query keys of the template ("uploads", "list-type").
	literal map[string]bool
	// headers are the lower-case header names and prefixes the route reads.
	headers headerReads
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
	rt := &route{op: o, tpl: parseTemplate(o.URI), lists: map[string]bool{}, literal: map[string]bool{}}
	for _, l := range rt.tpl.query {
		rt.literal[l.key] = true
	}
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
			rt.absorbs = rt.absorbs || b.Map
			if b.List && !b.Map {
				rt.lists[key] = true
			}
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
			rt.headers.add(key)
		case modelfile.LocHeaders:
			rt.bound = append(rt.bound, boundParam{b, strings.ToLower(key)})
			rt.headers.prefixes = append(rt.headers.prefixes, strings.ToLower(key))
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

func identifyREST(cands []*service, rq *request) (*Operation, error) {
	r, path := rq.r, rq.path
	q := values(rq.query)
	segs := splitPath(path)
	var best []restMatch  // best match per service, only the top-scoring services
	var reads headerReads // headers of every route of this method and path
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
			pathScore, ok := rt.tpl.matchPath(segs, nil)
			if !ok {
				continue
			}
			for n := range rt.headers.names {
				reads.add(n)
			}
			reads.prefixes = append(reads.prefixes, rt.headers.prefixes...)
			m, ok := matchRoute(rt, pathScore, q, r.Header)
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
	case len(best) == 0 && hasEmptySegment(segs):
		return nil, fmt.Errorf("%w: path %q has an empty segment (\"//\") outside a greedy label such as an S3 key; front ends may merge it",
			ErrAmbiguousRequest, path)
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
	name := m.rt.op.svc.info.ID + " " + m.rt.op.Name
	if err := reads.check(r.Header, rq.signed); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	if m.rt.op.svc.info.ID == "s3" {
		if err := m.rt.tpl.checkEncodedSeparators(segs); err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
	}
	if err := m.rt.checkQuery(rq.query); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	params, err := restParams(m, segs, q, r.Header, rq.body)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return newOperation(m.rt.op, m.rt.op.svc.info.Protocols[0], params)
}

// checkQuery refuses query keys the route does not model, keys given twice
// that are not list members, keys equal but for case, and an x-id that is
// not the route's operation.
func (rt *route) checkQuery(pairs []queryPair) error {
	if err := checkKeys(pairs, "URL query", func(k string) bool { return rt.lists[k] }); err != nil {
		return err
	}
	for _, p := range pairs {
		switch {
		case p.key == "x-id":
			if p.value != rt.op.Name {
				return fmt.Errorf("%w: x-id=%s names another operation than the request's method, path and members (%s)",
					ErrAmbiguousRequest, p.value, rt.op.Name)
			}
		case isPresignParam(p.key), rt.literal[p.key], rt.claimed[p.key], rt.absorbs:
		default:
			return fmt.Errorf("%w: query key %q is not a parameter of %s; AWS may read it as a sub-resource of another operation",
				ErrAmbiguousRequest, p.key, rt.op.Name)
		}
	}
	return nil
}

// matchRoute matches one route whose path matched with score pathScore; the
// score adds literal query keys and present required and optional members.
func matchRoute(rt *route, pathScore int, q url.Values, h http.Header) (restMatch, bool) {
	score := pathScore
	qs, ok := rt.tpl.matchQuery(q)
	if !ok {
		return restMatch{}, false
	}
	score += qs
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

// restParams extracts labels, querystring and header members, and the body
// members: rest-json as decoded, rest-xml generically.
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
					if !m.rt.claimed[k] && !m.rt.literal[k] && !isPresignParam(k) && k != "x-id" && len(vs) > 0 {
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
				continue
			}
			if len(v) > 1 {
				return nil, fmt.Errorf("%w: header %s is given %d times", ErrAmbiguousRequest, b.key, len(v))
			}
			params[b.Name] = v[0]
		case modelfile.LocHeaders:
			mv := map[string]string{}
			for k, vs := range h {
				if len(k) > len(b.key) && strings.EqualFold(k[:len(b.key)], b.key) && len(vs) > 0 {
					if len(vs) > 1 {
						return nil, fmt.Errorf("%w: header %s is given %d times", ErrAmbiguousRequest, k, len(vs))
					}
					mk := strings.ToLower(k[len(b.key):])
					if _, dup := mv[mk]; dup {
						return nil, fmt.Errorf("%w: header %s%s is given twice", ErrAmbiguousRequest, b.key, mk)
					}
					mv[mk] = vs[0]
				}
			}
			if len(mv) > 0 {
				params[b.Name] = mv
			}
		}
	}
	if len(body) == 0 || op.Payload != "" && !op.PayloadStruct {
		return params, nil // no body, or a blob or string payload
	}
	var obj map[string]any
	var err error
	switch op.svc.info.Protocols[0] {
	case "rest-json":
		// Decoded even when the operation has no body members: a body
		// member that names a label would be a second location for it to
		// a server that merges body and path members.
		obj, err = decodeJSONObject(body)
	case "rest-xml":
		obj, err = decodeXMLObject(body)
	default:
		return params, nil
	}
	if err != nil {
		return nil, err
	}
	if op.Payload != "" {
		params[op.Payload] = obj
		return params, nil
	}
	// Body members share Params with the bound members: a body member that
	// names one (in any case) would be a second location for it.
	bound := make(map[string]string, len(params)+len(op.Bound))
	for k := range params {
		bound[foldKey(k)] = k
	}
	for _, b := range op.Bound {
		bound[foldKey(b.Name)] = b.Name
	}
	for k, v := range obj {
		if prev, ok := bound[foldKey(k)]; ok {
			return nil, fmt.Errorf("%w: body member %q is also bound to the path, query or a header (%s)", ErrAmbiguousRequest, k, prev)
		}
		params[k] = v
	}
	return params, nil
}
