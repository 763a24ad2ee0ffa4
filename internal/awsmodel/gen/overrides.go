package main

import (
	_ "embed"
	"fmt"
	"strings"

	"github.com/jitgate/jitgate/internal/awsmodel/internal/modelfile"
)

// effectOverrides is the curated table of effects the model cannot show
// (effects.txt, one entry a line with the reason in a comment).
//
//go:embed effects.txt
var effectOverrides string

// override is one line of effects.txt.
type override struct {
	line      int
	service   string // "*" for every service that has the operation
	operation string
	set       *effectSet // "=..." replaces the derived effects
	add, del  effectSet
}

// parseOverrides reads effects.txt: "service:Operation  TOKENS  # reason"
// where each token is "=a,b" (replace), "+a,b" (add) or "-a,b" (remove).
// A line without a reason is an error: every override says why.
func parseOverrides(src string) ([]override, error) {
	var out []override
	for i, raw := range strings.Split(src, "\n") {
		n := i + 1
		line := strings.TrimSpace(raw)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		body, reason, ok := strings.Cut(line, "#")
		if !ok || strings.TrimSpace(reason) == "" {
			return nil, fmt.Errorf("effects.txt:%d: every override needs a '# reason'", n)
		}
		f := strings.Fields(body)
		if len(f) < 2 {
			return nil, fmt.Errorf("effects.txt:%d: want 'service:Operation +effect ...'", n)
		}
		svc, op, ok := strings.Cut(f[0], ":")
		if !ok || svc == "" || op == "" {
			return nil, fmt.Errorf("effects.txt:%d: %q is not service:Operation", n, f[0])
		}
		o := override{line: n, service: svc, operation: op}
		for _, tok := range f[1:] {
			if !strings.ContainsRune("=+-", rune(tok[0])) {
				return nil, fmt.Errorf("effects.txt:%d: token %q must start with =, + or -", n, tok)
			}
			var set effectSet
			for _, name := range strings.Split(tok[1:], ",") {
				b, ok := effectByName(name)
				if !ok {
					return nil, fmt.Errorf("effects.txt:%d: unknown effect %q", n, name)
				}
				set |= b
			}
			switch tok[0] {
			case '=':
				o.set = &set
			case '+':
				o.add |= set
			case '-':
				o.del |= set
			}
		}
		out = append(out, o)
	}
	return out, nil
}

// applyOverrides applies the curated table to the generated services. An
// entry that matches no operation is an error, so the table cannot go
// stale silently when botocore renames or drops an operation.
func applyOverrides(services []modelfile.Service, overrides []override) error {
	for _, o := range overrides {
		matched := false
		for si := range services {
			s := &services[si]
			if o.service != "*" && o.service != s.ID {
				continue
			}
			for oi := range s.Ops {
				op := &s.Ops[oi]
				if op.Name != o.operation {
					continue
				}
				e := parseLetters(op.Effects)
				if o.set != nil {
					e = *o.set
				}
				e = (e | o.add) &^ o.del
				if e == 0 {
					return fmt.Errorf("effects.txt:%d: %s:%s would have no effect", o.line, s.ID, op.Name)
				}
				op.Effects = e.String()
				matched = true
			}
		}
		if !matched {
			return fmt.Errorf("effects.txt:%d: no operation %s:%s in botocore", o.line, o.service, o.operation)
		}
	}
	return nil
}

func parseLetters(s string) effectSet {
	var e effectSet
	for i, l := range modelfile.EffectLetters {
		if strings.IndexByte(s, l.Letter) >= 0 {
			e |= 1 << i
		}
	}
	return e
}
