package redact

// Value detectors inside the engine: which detectors run on a string (the
// rules in scope without fields, plus those whose fields enclose it), and
// what their matches become. A match replaces only its own span unless
// its rule says whole; overlapping matches of different rules merge into
// one span, replaced by the first rule's replacement (rule order).

import (
	"slices"

	"github.com/jitgate/jitgate/internal/redact/detect"
)

// span is one detector match in a decoded value, with its replacement
// text at buf[repl[0]:repl[1]].
type span struct {
	start, end int
	rule       int
	kind       detect.Kind
	custom     *detect.Custom
	repl       [2]int
}

// detector is the reusable scratch of one Body call's scans.
type detector struct {
	order   []int
	matches []detect.Match
	spans   []span
	buf     []byte
	out     []byte
}

// slot is how a string value is typed for its SDK.
type slot uint8

const (
	slotText   slot = iota
	slotBlob        // base64 of bytes: only a whole mask keeps it decodable
	slotNumber      // a DynamoDB N/NS string: must stay a number
)

// scan runs the detectors of selection s over v. It reports whether
// anything matched; r.det.spans then holds the merged matches with their
// replacement texts, and whole is the index of the first span whose rule
// replaces the whole value (-1 if none).
func (r *run) scan(v []byte, s selection) (found bool, whole int) {
	d := &r.det
	order := r.global // already in rule order
	if len(s.dets) > 0 {
		d.order = append(d.order[:0], r.global...)
		for _, i := range s.dets {
			if !slices.Contains(d.order, i) {
				d.order = append(d.order, i)
			}
		}
		slices.Sort(d.order)
		order = d.order
	}
	if len(order) == 0 || len(v) == 0 {
		return false, -1
	}
	d.spans = d.spans[:0]
	var prof detect.Profile
	profiled, secretName := false, -1
	for _, ri := range order {
		ru := &r.e.rules[ri]
		for _, k := range ru.kinds {
			if !profiled {
				prof, profiled = detect.ProfileOf(v), true
			}
			if !prof.Possible(k) {
				continue
			}
			ctx := detect.Context{}
			if k == detect.AWSSecretKey {
				if secretName < 0 {
					secretName = 0
					if r.secretName() {
						secretName = 1
					}
				}
				ctx.SecretName = secretName == 1
			}
			d.matches = detect.Find(k, v, ctx, d.matches[:0])
			d.addSpans(v, ri, ru, k, nil)
		}
		for _, c := range ru.custom {
			d.matches = c.Find(v, d.matches[:0])
			d.addSpans(v, ri, ru, 0, c)
		}
	}
	if len(d.spans) == 0 {
		return false, -1
	}
	// Merge overlaps; the earlier-starting (then earlier rule's) match
	// keeps its rule and grows to cover the other.
	slices.SortStableFunc(d.spans, func(a, b span) int { return a.start - b.start })
	merged := d.spans[:1]
	for _, sp := range d.spans[1:] {
		last := &merged[len(merged)-1]
		if sp.start < last.end {
			last.end = max(last.end, sp.end)
			continue
		}
		merged = append(merged, sp)
	}
	d.spans = merged
	whole = -1
	d.buf = d.buf[:0]
	for i := range d.spans {
		sp := &d.spans[i]
		ru := &r.e.rules[sp.rule]
		name := sp.kind.String()
		if sp.custom != nil {
			name = sp.custom.Name
		}
		r.hit(sp.rule, name)
		if ru.whole && whole < 0 {
			whole = i
		}
		start := len(d.buf)
		d.buf = append(d.buf, r.repl.text(ru, v[sp.start:sp.end], sp.kind, sp.custom)...)
		sp.repl = [2]int{start, len(d.buf)}
	}
	return true, whole
}

func (d *detector) addSpans(v []byte, ri int, ru *rule, k detect.Kind, c *detect.Custom) {
	for _, m := range d.matches {
		if ru.allow.Allowed(v[m.Start:m.End]) {
			continue
		}
		d.spans = append(d.spans, span{start: m.Start, end: m.End, rule: ri, kind: k, custom: c})
	}
}

// spanText is a span's replacement text.
func (r *run) spanText(sp *span) []byte { return r.det.buf[sp.repl[0]:sp.repl[1]] }

// wholeText is the replacement of all of v after a scan in which span i's
// rule asks for whole values.
func (r *run) wholeText(v []byte, i int) []byte {
	sp := &r.det.spans[i]
	return r.repl.text(&r.e.rules[sp.rule], v, sp.kind, sp.custom)
}

// rebuilt returns v with every span replaced by its text.
func (r *run) rebuilt(v []byte) []byte {
	d := &r.det
	d.out = d.out[:0]
	prev := 0
	for i := range d.spans {
		sp := &d.spans[i]
		d.out = append(d.out, v[prev:sp.start]...)
		d.out = append(d.out, r.spanText(sp)...)
		prev = sp.end
	}
	return append(d.out, v[prev:]...)
}

// secretName reports whether the nearest member name of the current path
// contains "secret" (ASCII, any case).
func (r *run) secretName() bool {
	for i := len(r.path.segs) - 1; i >= 0; i-- {
		if r.path.segs[i].transparent() {
			continue
		}
		n := r.path.name(i)
		for k := 0; k+6 <= len(n); k++ {
			if lowerByte(n[k]) == 's' && lowerByte(n[k+1]) == 'e' && lowerByte(n[k+2]) == 'c' &&
				lowerByte(n[k+3]) == 'r' && lowerByte(n[k+4]) == 'e' && lowerByte(n[k+5]) == 't' {
				return true
			}
		}
		return false
	}
	return false
}

// wholeValue decides the replacement text of a value selected whole by
// rule ri: nil when the rule's allow list keeps it.
func (r *run) wholeValue(ri int, v []byte) []byte {
	ru := &r.e.rules[ri]
	if ru.allow.Allowed(v) {
		return nil
	}
	return r.repl.text(ru, v, 0, nil)
}

// fastWhole reports whether rule ri's whole replacement is the canned
// full mask (no allow list to consult, no value needed).
func (r *run) fastWhole(ri int) bool {
	ru := &r.e.rules[ri]
	return ru.repl.Mode == ModeFull && ru.allow == nil
}
