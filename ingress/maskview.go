package ingress

import (
	"bytes"
	"encoding/json"
	"strings"

	"github.com/jitgate/jitgate/internal/awsmodel"
)

// maskedValue replaces a secret parameter in every approver view.
const maskedValue = "*** (sensitive)"

// maskParams returns params (a request's parameters as a JSON object) with
// the value of every member that carries secrets replaced by maskedValue:
// the members botocore marks sensitive in this operation's input
// (awsmodel.Index.SensitiveInput) and the hand list
// (awsmodel.HandSensitiveInput: SSE-C keys, MFA codes). Names match at any
// depth and case-insensitively; a query-protocol name such as
// "Credentials.member.1.Password" matches by any of its segments.
// Parameters that do not decode are withheld (nil), never shown unmasked.
func maskParams(ix *awsmodel.Index, service, op string, params json.RawMessage) json.RawMessage {
	if len(params) == 0 {
		return params
	}
	names := map[string]bool{}
	for _, n := range awsmodel.HandSensitiveInput() {
		names[strings.ToLower(n)] = true
	}
	if ix != nil {
		for _, n := range ix.SensitiveInput(service, op) {
			names[strings.ToLower(n)] = true
		}
	}
	dec := json.NewDecoder(bytes.NewReader(params))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil
	}
	out, err := json.Marshal(maskValue(v, names))
	if err != nil {
		return nil
	}
	return out
}

func maskValue(v any, names map[string]bool) any {
	switch x := v.(type) {
	case map[string]any:
		for k, val := range x {
			if sensitiveName(k, names) {
				x[k] = maskedValue
				continue
			}
			x[k] = maskValue(val, names)
		}
	case []any:
		for i := range x {
			x[i] = maskValue(x[i], names)
		}
	}
	return v
}

func sensitiveName(k string, names map[string]bool) bool {
	for _, seg := range strings.Split(k, ".") {
		if names[strings.ToLower(seg)] {
			return true
		}
	}
	return false
}
