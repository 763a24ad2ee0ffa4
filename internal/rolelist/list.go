package rolelist

import (
	"fmt"
	"github.com/jitgate/jitgate/internal/glob"
	"slices"
	"strings"
)

// Entry is one allowed role pattern.
type Entry struct {
	// Group, when set, restricts the entry to members of this OIDC group.
	Group string
	// Pattern is an IAM role ARN glob.
	Pattern string
}

// String renders the entry as Parse reads it.
func (e Entry) String() string {
	if e.Group == "" {
		return e.Pattern
	}
	return e.Group + "=" + e.Pattern
}

// List is a parsed allow-list. The zero List allows nothing.
type List struct {
	entries []Entry
}

// Parse reads entries of the form ARN-GLOB or GROUP=ARN-GLOB. Each spec may
// hold several entries separated by commas or whitespace (a flag value or
// an environment variable). A pattern must start with "arn:" and name an
// IAM role (":iam::" and ":role/"), so a typo cannot allow every ARN.
func Parse(specs ...string) (List, error) {
	var l List
	for _, spec := range specs {
		for f := range strings.FieldsFuncSeq(spec, func(r rune) bool { return r == ',' || r == ' ' || r == '\t' || r == '\n' }) {
			e := Entry{Pattern: f}
			if g, p, ok := strings.Cut(f, "="); ok {
				e = Entry{Group: g, Pattern: p}
				if g == "" {
					return List{}, fmt.Errorf("%w: %q has an empty group before '='", ErrEntry, f)
				}
			}
			if !strings.HasPrefix(e.Pattern, "arn:") || !strings.Contains(e.Pattern, ":iam::") || !strings.Contains(e.Pattern, ":role/") {
				return List{}, fmt.Errorf("%w: %q is not an IAM role ARN glob such as arn:aws:iam::123456789012:role/ci-*", ErrEntry, f)
			}
			l.entries = append(l.entries, e)
		}
	}
	return l, nil
}

// MustParse is Parse for constants; it panics on an invalid entry.
func MustParse(specs ...string) List {
	l, err := Parse(specs...)
	if err != nil {
		panic(err)
	}
	return l
}

// Empty reports whether the list allows no role at all.
func (l List) Empty() bool { return len(l.entries) == 0 }

// Entries returns a copy of the entries.
func (l List) Entries() []Entry { return slices.Clone(l.entries) }

// Allows reports whether a principal in groups may use role arn: some entry
// without a group, or with one of groups, matches arn.
func (l List) Allows(groups []string, arn string) bool {
	for _, e := range l.entries {
		if (e.Group == "" || slices.Contains(groups, e.Group)) && glob.Match(arn, e.Pattern) {
			return true
		}
	}
	return false
}

// AllowsARN reports whether any entry matches arn, whatever its group. The
// executor asks this: groups were the ingress's check, and the executor only
// guarantees that no role outside the operator's list is ever assumed.
func (l List) AllowsARN(arn string) bool {
	for _, e := range l.entries {
		if glob.Match(arn, e.Pattern) {
			return true
		}
	}
	return false
}
