package executor

import (
	"fmt"
	"net/url"
	"strings"

	"github.com/jitgate/jitgate/executor/internal/resign"
	"github.com/jitgate/jitgate/schemas"
)

// target resolves where a request goes. Only the executor's table and its
// configured Upstream name hosts; nothing in the request does.
func (e *Executor) target(r *schemas.RequestReceived) (resign.Target, error) {
	var ep Endpoint
	var lookupErr error
	if e.deps.Endpoints != nil {
		ep, lookupErr = e.deps.Endpoints.Endpoint(r.Service, r.Region)
	}
	if e.upstream != nil {
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
