package policy

import (
	"fmt"
	"github.com/jitgate/jitgate/internal/glob"
	"net/netip"
	"time"
)

// Helper functions available in expressions. Each receives already
// type-checked arguments at compile time, but values from params are `any`
// and are checked here: nil (a missing parameter) yields false, any other
// non-string is an error (and so a deny).

func stringArg(name string, v any) (s string, ok bool, err error) {
	switch v := v.(type) {
	case nil:
		return "", false, nil
	case string:
		return v, true, nil
	default:
		return "", false, fmt.Errorf("%s: want a string, got %T", name, v)
	}
}

// fnGlob is glob(s, pattern): `*` matches any run of characters (including
// `/` and `:`), `?` exactly one; everything else matches itself.
func fnGlob(params ...any) (any, error) {
	s, ok, err := stringArg("glob", params[0])
	if err != nil || !ok {
		return false, err
	}
	p, ok, err := stringArg("glob pattern", params[1])
	if err != nil || !ok {
		return false, err
	}
	return glob.Match(s, p), nil
}

// fnAnyGlob is anyGlob(list, pattern): true if any element matches.
func fnAnyGlob(params ...any) (any, error) {
	p, ok, err := stringArg("anyGlob pattern", params[1])
	if err != nil || !ok {
		return false, err
	}
	switch list := params[0].(type) {
	case nil:
		return false, nil
	case []string:
		for _, s := range list {
			if glob.Match(s, p) {
				return true, nil
			}
		}
	case []any:
		for _, v := range list {
			s, ok, err := stringArg("anyGlob element", v)
			if err != nil {
				return false, err
			}
			if ok && glob.Match(s, p) {
				return true, nil
			}
		}
	default:
		return false, fmt.Errorf("anyGlob: want a list, got %T", list)
	}
	return false, nil
}

// fnCIDR is cidr(ip, prefix): true if ip (optionally with a port) lies in
// prefix. An unparsable or empty ip is false; a bad prefix is an error
// (and a constant bad prefix is rejected at load).
func fnCIDR(params ...any) (any, error) {
	ip, ok, err := stringArg("cidr", params[0])
	if err != nil || !ok {
		return false, err
	}
	ps, _, err := stringArg("cidr prefix", params[1])
	if err != nil {
		return false, err
	}
	prefix, err := netip.ParsePrefix(ps)
	if err != nil {
		return false, fmt.Errorf("cidr: %w", err)
	}
	addr, err := netip.ParseAddr(ip)
	if err != nil {
		ap, perr := netip.ParseAddrPort(ip)
		if perr != nil {
			return false, nil
		}
		addr = ap.Addr()
	}
	return prefix.Contains(addr.Unmap()), nil
}

// fnHour is hour(t): the hour of t in UTC, 0-23.
func fnHour(params ...any) (any, error) {
	t, ok := params[0].(time.Time)
	if !ok {
		return 0, fmt.Errorf("hour: want a time, got %T", params[0])
	}
	return t.UTC().Hour(), nil
}

// fnWeekday is weekday(t): the English day name of t in UTC ("Monday").
func fnWeekday(params ...any) (any, error) {
	t, ok := params[0].(time.Time)
	if !ok {
		return "", fmt.Errorf("weekday: want a time, got %T", params[0])
	}
	return t.UTC().Weekday().String(), nil
}
