package executor

import (
	"fmt"
	"net/url"
	"slices"
	"strings"

	"github.com/jitgate/jitgate/executor/internal/resign"
	"github.com/jitgate/jitgate/schemas"
)

// UpstreamRouter is implemented by endpoint tables that can tell how one
// upstream host serving every service (Config.Upstream) routes a request:
// by its SigV4 signing name, then by reading it. cmd/jitgate's table
// (from awsmodel) implements it.
type UpstreamRouter interface {
	// UpstreamService returns the service and operation a request signed
	// for r.SigningName is identified as when every service signing with
	// that name is a candidate (no per-service path narrows them), or an
	// error when it cannot be read one way only.
	UpstreamService(r *schemas.RequestReceived) (service, operation string, err error)
}

// target resolves where a request goes. Only the executor's table and its
// configured Upstream name hosts; nothing in the request does.
func (e *Executor) target(r *schemas.RequestReceived) (resign.Target, error) {
	var ep Endpoint
	var lookupErr error
	if e.deps.Endpoints != nil {
		ep, lookupErr = e.deps.Endpoints.Endpoint(r.Service, r.Region)
	}
	if e.upstream != nil {
		if err := e.sameServiceUpstream(r); err != nil {
			return resign.Target{}, err
		}
		// Emulator: the host is fixed; the table, when it knows the
		// service, still says how to sign.
		t := resign.Target{Base: e.upstream, SigningName: r.SigningName, SigningRegion: r.Region}
		if lookupErr == nil && e.deps.Endpoints != nil {
			t.SigningName, t.SigningRegion = first(ep.SigningName, t.SigningName), first(ep.SigningRegion, t.SigningRegion)
		}
		t.SigningName = strings.ToLower(t.SigningName)
		if t.SigningName == "" || t.SigningRegion == "" {
			return resign.Target{}, fmt.Errorf("%w: no signing name or region for %s", ErrTarget, r.Service)
		}
		return t, nil
	}
	if lookupErr != nil {
		return resign.Target{}, fmt.Errorf("%w for %s in %q: %w", ErrTarget, r.Service, r.Region, lookupErr)
	}
	u, err := url.Parse(ep.URL)
	if err != nil || u.Scheme != "https" || u.Host == "" || u.User != nil || u.RawQuery != "" || u.Port() != "" {
		return resign.Target{}, fmt.Errorf("%w: table endpoint %q for %s is not an https base URL", ErrTarget, ep.URL, r.Service)
	}
	if !e.allowedHost(u.Hostname()) {
		return resign.Target{}, fmt.Errorf("%w: table endpoint host %q for %s is outside the allowed AWS suffixes", ErrTarget, u.Hostname(), r.Service)
	}
	t := resign.Target{Base: u, SigningName: strings.ToLower(ep.SigningName), SigningRegion: ep.SigningRegion}
	if t.SigningName == "" || t.SigningRegion == "" {
		return resign.Target{}, fmt.Errorf("%w: table has no signing name or region for %s", ErrTarget, r.Service)
	}
	return t, nil
}

// sameServiceUpstream keeps one upstream host from running a call as
// another service. Real AWS settles the service by the host; a single
// upstream host (an emulator, --upstream) sees only the signing name and
// the request, and services share signing names (s3 and s3control, rds,
// docdb and neptune). The rule:
//
//  1. with Config.UpstreamServices set, the service must be one of them;
//  2. when the table is an UpstreamRouter, the request read as that host
//     reads it (every service signing with its signing name a candidate,
//     no /svc/<id> path to narrow them) must be the judged service and
//     operation. This refuses exactly the calls a per-service path settled
//     for the gateway but the upstream cannot see.
//
// A refusal may be an attack and is logged as a security event.
func (e *Executor) sameServiceUpstream(r *schemas.RequestReceived) error {
	var err error
	if list := e.cfg.UpstreamServices; list != nil && !slices.Contains(list, r.Service) {
		err = fmt.Errorf("%w: the upstream %s does not implement %s (only the %d services configured as its upstream services are sent there); call a service it implements, or run the gateway against real AWS",
			ErrReroute, e.upstream.Host, r.Service, len(list))
	} else if router, ok := e.deps.Endpoints.(UpstreamRouter); ok {
		svc, op, rerr := router.UpstreamService(r)
		switch {
		case rerr != nil:
			err = fmt.Errorf("%w: judged %s:%s, but the upstream %s, which routes by signing name %q, cannot read it one way only (%w); such calls run only against real AWS, where the host settles the service",
				ErrReroute, r.Service, r.Operation, e.upstream.Host, r.SigningName, rerr)
		case svc != r.Service || op != r.Operation:
			err = fmt.Errorf("%w: judged %s:%s, but the upstream %s, which routes by signing name %q, reads it as %s:%s",
				ErrReroute, r.Service, r.Operation, e.upstream.Host, r.SigningName, svc, op)
		}
	}
	if err != nil {
		e.log.Warn("security: refusing a call the upstream could run as another service",
			"event", "security.upstream_reroute", "service", r.Service, "operation", r.Operation,
			"signing_name", r.SigningName, "err", err)
	}
	return err
}

func (e *Executor) allowedHost(host string) bool {
	host = strings.ToLower(host)
	for _, s := range e.cfg.AllowedSuffixes {
		if strings.HasSuffix(host, strings.ToLower(s)) {
			return true
		}
	}
	return false
}

func first(vs ...string) string {
	for _, v := range vs {
		if v != "" {
			return v
		}
	}
	return ""
}
