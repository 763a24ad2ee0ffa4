package row

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"time"

	"github.com/jitgate/jitgate/internal/bus"
	"github.com/jitgate/jitgate/schemas"
)

// UndecodableCap bounds the scrubbed raw value kept for an undecodable
// record.
const UndecodableCap = 64 << 10

// loose reads what it can of an envelope that did not decode strictly.
type loose struct {
	ID        string `json:"id"`
	Type      string `json:"type"`
	Version   int    `json:"version"`
	RequestID string `json:"request_id"`
	Time      string `json:"time"`
	Producer  string `json:"producer"`
}

// undecodable keeps a record this build cannot decode, so that nothing is
// lost silently: the envelope fields it can read, the decode error, and the
// value scrubbed of bodies, sensitive headers and credential fields. On the
// executions topic (raw, unmasked responses) the value is withheld, and so
// is a body chunk's (typed so by its header), which is body data; its
// fields come from its headers.
//
// The event id is derived from the record's position, so a redelivery
// replaces the row. When the record has no readable time, ts is the time of
// recording and ts_us is 0.
func (b *Builder) undecodable(m bus.Message, decodeErr error) Row {
	r := Row{
		EventID:   fmt.Sprintf("undecodable/%s/%d/%d", m.Topic, m.Partition, m.Offset),
		Type:      TypeUndecodable,
		Topic:     m.Topic,
		Partition: m.Partition,
		Offset:    m.Offset,
		BodySize:  uint64(len(m.Value)),
	}
	var l loose
	chunk := chunkHeaders(m.Headers, &l)
	if !chunk {
		_ = json.Unmarshal(m.Value, &l) // best effort: fields before a syntax error stay set
	}
	r.RequestID, r.Producer, r.Version = trunc(l.RequestID, 256), trunc(l.Producer, 256), uint16(max(min(l.Version, 65535), 0))
	if t, err := time.Parse(time.RFC3339Nano, l.Time); err == nil {
		r.setTime(t)
	} else {
		r.TS = time.Now().UTC().Truncate(time.Second)
	}
	if decodeErr == nil && chunk {
		_, decodeErr = schemas.DecodeChunk(m.Headers, m.Value)
	} else if decodeErr == nil {
		_, decodeErr = schemas.Unmarshal(m.Value)
	}
	if decodeErr != nil {
		r.Error = trunc(decodeErr.Error(), 1024)
	}
	r.Reason = trunc(fmt.Sprintf("id=%q type=%q", l.ID, l.Type), 512)
	if chunk {
		r.note("value: body chunk data, not recorded")
		return r
	}
	if m.Topic == schemas.TopicExecutions {
		r.note("value: withheld, the executions topic carries unmasked responses")
		return r
	}
	r.Payload = b.scrubRaw(m.Value, &r)
	return r
}

// scrubRaw removes secrets from a raw value: from JSON every "body" and
// "data" member and every sensitive header value, then the masking engine's
// credential fields; a value that is not JSON is kept only up to the body
// cap.
func (b *Builder) scrubRaw(v []byte, r *Row) string {
	dec := json.NewDecoder(bytes.NewReader(v))
	dec.UseNumber()
	var doc any
	if err := dec.Decode(&doc); err != nil {
		keep := min(len(v), b.bodyCap)
		if keep < len(v) {
			r.note("value: not JSON, truncated")
		}
		return string(v[:keep])
	}
	doc = b.scrubAny(doc, "value", r)
	out, err := json.Marshal(doc)
	if err != nil {
		r.note("value: dropped, cannot be re-encoded")
		return ""
	}
	res, err := b.redactor.Body("application/json", "", "", out)
	if err != nil {
		r.note("value: dropped, cannot be masked")
		return ""
	}
	for _, f := range res.Fields {
		r.note("value: masked " + f)
	}
	out = res.Body
	if len(out) > UndecodableCap {
		out = out[:UndecodableCap]
		r.note("value: truncated")
	}
	return string(out)
}

// scrubAny walks a decoded JSON value.
func (b *Builder) scrubAny(v any, path string, r *Row) any {
	switch v := v.(type) {
	case map[string]any:
		if name, ok := v["name"].(string); ok && SensitiveHeader(name) {
			if _, ok := v["value"]; ok {
				delete(v, "value")
				r.note(path + ": header " + name)
			}
		}
		for k, e := range v {
			if k == "body" || k == "data" {
				delete(v, k)
				r.note(path + "." + k + ": not recorded")
				continue
			}
			v[k] = b.scrubAny(e, path+"."+k, r)
		}
	case []any:
		for i, e := range v {
			v[i] = b.scrubAny(e, path, r)
		}
	}
	return v
}

// chunkHeaders fills l from the jg-* headers of a record in the body chunk
// record form (its value is body data, never JSON) and reports whether it
// is one.
func chunkHeaders(hs []schemas.RecordHeader, l *loose) bool {
	get := func(k string) string {
		for _, h := range hs {
			if h.Key == k {
				return string(h.Value)
			}
		}
		return ""
	}
	typ := get(schemas.HeaderType)
	if !schemas.IsChunk(schemas.Type(typ)) {
		return false
	}
	l.ID, l.Type, l.RequestID, l.Time, l.Producer = get(schemas.HeaderID), typ, get(schemas.HeaderRequestID), get(schemas.HeaderTime), get(schemas.HeaderProducer)
	l.Version, _ = strconv.Atoi(get(schemas.HeaderVersion))
	return true
}
