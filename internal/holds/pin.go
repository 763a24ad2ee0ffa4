package holds

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/jitgate/jitgate/internal/policy"
	"github.com/jitgate/jitgate/schemas"
)

// A pin is the canonical JSON a call or operation grant stores in
// GrantOpened.Params and a later request must reproduce byte for byte.
// Canonical JSON: objects with sorted keys, numbers as written, no
// insignificant space (encoding/json's output for decoded values).
//
// Scope call pins {"body": B, "params": P, "region": R}: every parameter
// the identifier produced, P (an absent or null parameter object is {}),
// nested objects and lists compared exactly, never as a subset; the region;
// and, for a call with a body, B = {"sha256": hex, "size": n} of the body
// bytes the executor would send. The body digest makes the pin cover what
// the parameters may not (a REST-XML body the identifier did not decode, a
// blob payload): a DeleteObjects approved for one key cannot later delete
// another, whatever the identifier made of the XML. A call whose body is not
// inline (it travels as chunks, so the decider never sees it) cannot be
// pinned: it opens no call grant and matches none. Calls without a body
// have no "body" member, so their pins are unchanged from before it existed.
//
// Scope operation pins {"members": M, "region": R, "resources": S}:
//   - S is policy.ExtractResources of the parameters, keeping the non-empty
//     fields under their expr names: bucket, key, table, tables, function,
//     queue, topic, roleArn, user, instances, arns (every ARN at any depth)
//     and names (top-level string members ending in "Name");
//   - M holds every top-level parameter whose name ends in Id, Ids,
//     Identifier, Identifiers, Arn, Arns, ARN, Name, Names, Url or URL, with
//     its value as sent. This catches the resource of services
//     ExtractResources does not know (RDS DBInstanceIdentifier, KMS KeyId,
//     EC2 VolumeId, ...), so a grant for one such resource never covers
//     another. Other members (item keys, bodies, filters, tokens) may differ.
//
// Both scopes also compare service, operation, role and principal outside
// the pin (see MatchGrant).

// decodeParams decodes a request's parameters keeping numbers as written.
// Absent or null parameters are an empty object.
func decodeParams(raw json.RawMessage) (map[string]any, error) {
	m := map[string]any{}
	if len(bytes.TrimSpace(raw)) == 0 {
		return m, nil
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	if err := dec.Decode(&m); err != nil {
		return nil, fmt.Errorf("request params are not a JSON object: %w", err)
	}
	if m == nil { // "null"
		m = map[string]any{}
	}
	return m, nil
}

// errBodyNotInline: the body travels as chunks, so no pin can cover it.
var errBodyNotInline = errors.New("the request body travels in chunks, so a call grant cannot pin it; use scope operation or expr for large bodies")

// bodyPin is the "body" member of a call pin.
type bodyPin struct {
	SHA256 string `json:"sha256"`
	Size   int64  `json:"size"`
}

func callPinOf(region string, params map[string]any, h *schemas.HTTPRequest) (json.RawMessage, error) {
	pin := map[string]any{"params": params, "region": region}
	if h.BodyChunks > 0 {
		return nil, errBodyNotInline
	}
	if h.BodySize > 0 || len(h.Body) > 0 {
		if int64(len(h.Body)) != h.BodySize {
			return nil, fmt.Errorf("request body is %d bytes but body_size says %d", len(h.Body), h.BodySize)
		}
		sum := sha256.Sum256(h.Body)
		pin["body"] = bodyPin{SHA256: hex.EncodeToString(sum[:]), Size: h.BodySize}
	}
	return json.Marshal(pin)
}

func operationPinOf(region string, params map[string]any, _ *schemas.HTTPRequest) (json.RawMessage, error) {
	members := map[string]any{}
	for k, v := range params {
		if isIdentifier(k) {
			members[k] = v
		}
	}
	return json.Marshal(map[string]any{
		"members":   members,
		"region":    region,
		"resources": resourceFields(policy.ExtractResources(params)),
	})
}

// isIdentifier reports whether an operation pin keeps the member name.
func isIdentifier(name string) bool {
	for _, suf := range [...]string{"Id", "Ids", "Identifier", "Identifiers", "Arn", "Arns", "ARN", "Name", "Names", "Url", "URL"} {
		if strings.HasSuffix(name, suf) {
			return true
		}
	}
	return false
}

// resourceFields keeps the non-empty fields of r by their expr names.
func resourceFields(r policy.Resources) map[string]any {
	out := map[string]any{}
	add := func(name, v string) {
		if v != "" {
			out[name] = v
		}
	}
	addList := func(name string, v []string) {
		if len(v) > 0 {
			out[name] = v
		}
	}
	add("bucket", r.Bucket)
	add("key", r.Key)
	add("table", r.Table)
	addList("tables", r.Tables)
	add("function", r.Function)
	add("queue", r.Queue)
	add("topic", r.Topic)
	add("roleArn", r.RoleArn)
	add("user", r.User)
	addList("instances", r.Instances)
	addList("arns", r.ARNs)
	addList("names", r.Names)
	return out
}

func callPin(req *schemas.RequestReceived) (json.RawMessage, error) {
	params, err := decodeParams(req.Params)
	if err != nil {
		return nil, err
	}
	return callPinOf(req.Region, params, &req.HTTP)
}

func operationPin(req *schemas.RequestReceived) (json.RawMessage, error) {
	params, err := decodeParams(req.Params)
	if err != nil {
		return nil, err
	}
	return operationPinOf(req.Region, params, &req.HTTP)
}

// Pin returns what a grant opened by approving h would pin (its Params):
// the call pin or the operation pin by the rule's grant scope, nil for an
// expr grant or none. Approvers see it (jitgate show) before they approve.
func Pin(h Hold) (json.RawMessage, error) {
	if h.Terms.Grant == nil || h.Terms.Grant.For <= 0 {
		return nil, nil
	}
	switch h.Terms.Grant.Scope {
	case policy.ScopeCall, "":
		return callPin(&h.Request)
	case policy.ScopeOperation:
		return operationPin(&h.Request)
	}
	return nil, nil
}

// canonical re-encodes a stored pin so byte comparison ignores how the
// producer spaced or ordered it.
func canonical(raw json.RawMessage) ([]byte, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, err
	}
	return json.Marshal(v)
}
