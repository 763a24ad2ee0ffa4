package redact

// Form bodies (application/x-www-form-urlencoded): query-protocol requests
// such as iam CreateLoginProfile or sts AssumeRoleWithWebIdentity, which
// the recorder stores. Keys are dotted paths ("Tags.member.1.Value"); the
// "member", "entry" and numeric levels are transparent to matching. The
// value of a matched key is replaced by the query-escaped replacement; a
// value with detector matches is decoded, rewritten and escaped again.

import (
	"bytes"
	"net/url"
	"strings"
)

func (r *run) form(body []byte) error {
	off := 0
	for off <= len(body) {
		end := bytes.IndexByte(body[off:], '&')
		if end < 0 {
			end = len(body)
		} else {
			end += off
		}
		pair := body[off:end]
		rawKey, rawVal, _ := bytes.Cut(pair, []byte("="))
		key, err := url.QueryUnescape(string(rawKey))
		if err != nil {
			return &BodyError{Format: "form", Offset: int64(off), Err: err}
		}
		val, err := url.QueryUnescape(string(rawVal))
		if err != nil {
			return &BodyError{Format: "form", Offset: int64(off + len(rawKey) + 1), Err: err}
		}
		if len(rawVal) > 0 && key != "" {
			r.path.truncate(0)
			for seg := range strings.SplitSeq(key, ".") {
				r.path.pushString(seg)
				if seg == "member" || seg == "entry" || isDigits(seg) {
					r.path.segs[len(r.path.segs)-1].skip = true
				}
			}
			if s := r.selectAt(root()); r.active(s) {
				r.formValue([]byte(val), int64(off+len(rawKey)+1), int64(end), s)
			}
		}
		off = end + 1
	}
	return nil
}

// formValue masks the value v (decoded) at body[start:end].
func (r *run) formValue(v []byte, start, end int64, s selection) {
	if s.whole >= 0 {
		switch {
		case s.b64:
			r.replace(start, end, r.e.formB64, s.whole)
		case r.fastWhole(s.whole):
			r.replace(start, end, r.e.formMsk, s.whole)
		default:
			if t := r.wholeValue(s.whole, v); t != nil {
				r.replace(start, end, r.keep([]byte(url.QueryEscape(string(t)))), s.whole)
			}
		}
		return
	}
	if s.b64 {
		return
	}
	found, whole := r.scan(v, s)
	if !found {
		return
	}
	r.noteHere()
	t := r.rebuilt(v)
	if whole >= 0 {
		t = r.wholeText(v, whole)
	}
	r.spanEdit(start, end, r.keep([]byte(url.QueryEscape(string(t)))))
}

func isDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}
