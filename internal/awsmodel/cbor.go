package awsmodel

// Smithy RPC v2 CBOR protocol: POST /service/<ServiceShape>/operation/<Op>
// with header Smithy-Protocol: rpc-v2-cbor and a CBOR map body whose
// top-level members become Params. The service shape name equals the
// service's JSON target prefix (CloudWatch: GraniteServiceVersion20100801).

import (
	"fmt"
	"reflect"
	"strings"

	"github.com/fxamacker/cbor/v2"
)

func identifyCBOR(dm cbor.DecMode, cands []*service, path string, body []byte) (*Operation, error) {
	rest, ok := strings.CutPrefix(path, "/service/")
	svcName, opName, ok2 := strings.Cut(rest, "/operation/")
	if !ok || !ok2 || svcName == "" || opName == "" || strings.Contains(opName, "/") {
		return nil, fmt.Errorf("%w: rpc-v2-cbor path %q is not /service/<service>/operation/<operation>", ErrUnknownOperation, path)
	}
	found, _, err := lookup(cands, opName, func(s *service) bool {
		return s.speaks("smithy-rpc-v2-cbor") && s.info.TargetPrefix == svcName
	})
	if err != nil {
		return nil, err
	}
	switch len(found) {
	case 0:
		return nil, fmt.Errorf("%w: rpc-v2-cbor service %q operation %q in none of [%s]", ErrUnknownOperation, svcName, opName, serviceIDs(cands))
	case 1:
	default:
		return nil, ambiguous(opName, found)
	}
	params, err := decodeCBORObject(dm, body)
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w", found[0].svc.info.ID, opName, err)
	}
	return newOperation(found[0], "smithy-rpc-v2-cbor", params)
}

// newCBORDecMode decodes nested maps with string keys as map[string]any, so
// CBOR params look like JSON params.
func newCBORDecMode() (cbor.DecMode, error) {
	return cbor.DecOptions{DefaultMapType: reflect.TypeFor[map[string]any]()}.DecMode()
}

func decodeCBORObject(dm cbor.DecMode, body []byte) (map[string]any, error) {
	if len(body) == 0 {
		return map[string]any{}, nil
	}
	var m map[string]any
	if err := dm.Unmarshal(body, &m); err != nil {
		return nil, fmt.Errorf("%w: body is not a CBOR map: %w", ErrMalformedRequest, err)
	}
	if m == nil {
		m = map[string]any{}
	}
	return m, nil
}
