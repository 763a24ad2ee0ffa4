package redact

// Form bodies (application/x-www-form-urlencoded): query-protocol requests
// such as iam CreateLoginProfile or sts AssumeRoleWithWebIdentity, which
// the recorder stores. Keys are dotted paths ("Tags.member.1.Value"); the
// "member", "entry" and numeric levels are transparent to matching. The
// value of a matched key is replaced by the query-escaped mask.

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
		if _, err := url.QueryUnescape(string(rawVal)); err != nil {
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
			if r.matches() {
				r.startMatch()
				valStart := off + len(rawKey) + 1
				msk := r.e.formMsk
				if r.matchedB64 {
					msk = r.e.formB64
				}
				r.replace(int64(valStart), int64(end), msk)
			}
		}
		off = end + 1
	}
	return nil
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
