package schemas

import (
	stdjson "encoding/json"
	"fmt"
	"strconv"

	json "github.com/go-json-experiment/json"
	jsonv1 "github.com/go-json-experiment/json/v1"
)

// Every event costs each stage that touches it an encode or a decode, so
// the codec is on the hot path of every call. The wire format is the JSON
// encoding/json writes, and it stays that: payloads are still encoded by
// encoding/json (its output is the format), while reading uses the
// encoding/json v2 implementation, which validates and decodes in one
// pass instead of encoding/json's scan, copy, rescan and decode (the old
// path read a payload four times). Envelopes are written by hand below:
// the payload bytes NewEnvelope produced are already in the form
// encoding/json writes, and re-encoding a json.RawMessage compacts it
// again, which cost more than encoding the payload itself.
// codec_test.go proves both halves against encoding/json, field by field.

// decodeOpts are the options every event is read with: strict about
// unknown members (the promise Unmarshal and Decode make), and reading
// time.Duration as the integer nanoseconds encoding/json writes.
//
// Against encoding/json the reader is stricter in ways no jitgate writer
// ever produced: member names match case-sensitively, a duplicate member,
// invalid UTF-8 and trailing data after the envelope are errors.
var decodeOpts = json.JoinOptions(
	json.RejectUnknownMembers(true),
	jsonv1.FormatDurationAsNano(true),
)

// unmarshalStrict decodes data into v (a pointer) under decodeOpts.
func unmarshalStrict(data []byte, v any) error {
	return json.Unmarshal(data, v, decodeOpts)
}

// appendEnvelope appends e's JSON, byte for byte what encoding/json's
// Marshal(e) writes. payloadCanonical reports that e.Payload is already
// in the form encoding/json writes a json.RawMessage in (compact, HTML
// characters escaped), so it is copied as it is; otherwise it is encoded
// by encoding/json, as before.
func appendEnvelope(b []byte, e Envelope, payloadCanonical bool) ([]byte, error) {
	b = append(b, `{"id":`...)
	b = appendString(b, e.ID)
	b = append(b, `,"type":`...)
	b = appendString(b, string(e.Type))
	b = append(b, `,"version":`...)
	b = strconv.AppendInt(b, int64(e.Version), 10)
	b = append(b, `,"request_id":`...)
	b = appendString(b, e.RequestID)
	b = append(b, `,"time":`...)
	t, err := e.Time.MarshalJSON()
	if err != nil {
		return nil, fmt.Errorf("encode envelope time: %w", err)
	}
	b = append(b, t...)
	b = append(b, `,"producer":`...)
	b = appendString(b, e.Producer)
	b = append(b, `,"payload":`...)
	if payloadCanonical && len(e.Payload) > 0 {
		b = append(b, e.Payload...)
	} else {
		raw, err := stdjson.Marshal(e.Payload)
		if err != nil {
			return nil, err
		}
		b = append(b, raw...)
	}
	if e.Auth != "" {
		b = append(b, `,"auth":`...)
		b = appendString(b, e.Auth)
	}
	return append(b, '}'), nil
}

// appendString appends s as a JSON string exactly as encoding/json writes
// it. Envelope strings (ids, types, producer names, hex codes) are plain
// ASCII, copied as they are; anything else goes through encoding/json.
func appendString(b []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c >= 0x7f || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&' {
			raw, _ := stdjson.Marshal(s) // a string always encodes
			return append(b, raw...)
		}
	}
	b = append(b, '"')
	b = append(b, s...)
	return append(b, '"')
}

// sameBytes reports whether a and b are the same slice (same array, same
// length), not merely equal: an envelope's Payload is known canonical only
// while it is still the slice NewEnvelope or Seal made.
func sameBytes(a, b []byte) bool {
	return len(a) == len(b) && len(a) > 0 && &a[0] == &b[0]
}
