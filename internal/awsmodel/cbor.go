package awsmodel

// Smithy RPC v2 CBOR protocol: POST /service/<ServiceShape>/operation/<Op>
// with header Smithy-Protocol: rpc-v2-cbor and a CBOR map body whose
// top-level members become Params. The service shape name equals the
// service's JSON target prefix (CloudWatch: GraniteServiceVersion20100801).
// One reading: Smithy-Protocol is exactly rpc-v2-cbor, Content-Type (when
// sent) is application/cbor, the URL query holds presign parameters only, and
// no map in the body has a key twice or two keys equal but for case.

import (
	"errors"
	"fmt"
	"reflect"
	"strings"

	"github.com/fxamacker/cbor/v2"
)

func identifyCBOR(dm cbor.DecMode, cands []*service, rq *request, smithy string) (*Operation, error) {
	if smithy != "rpc-v2-cbor" {
		return nil, fmt.Errorf("%w: Smithy-Protocol %q is not rpc-v2-cbor, the only Smithy protocol the gateway reads", ErrAmbiguousRequest, smithy)
	}
	if err := rq.protocolHeaders("rpc-v2-cbor", []string{"Smithy-Protocol"}, "application/cbor"); err != nil {
		return nil, err
	}
	if err := onlyPresign(rq.query, "rpc-v2-cbor"); err != nil {
		return nil, err
	}
	path, body := rq.path, rq.body
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
// CBOR params look like JSON params, and refuses duplicate map keys.
func newCBORDecMode() (cbor.DecMode, error) {
	return cbor.DecOptions{
		DefaultMapType: reflect.TypeFor[map[string]any](),
		DupMapKey:      cbor.DupMapKeyEnforcedAPF,
	}.DecMode()
}

func decodeCBORObject(dm cbor.DecMode, body []byte) (map[string]any, error) {
	if len(body) == 0 {
		return map[string]any{}, nil
	}
	var m map[string]any
	if err := dm.Unmarshal(body, &m); err != nil {
		var dup *cbor.DupMapKeyError
		if errors.As(err, &dup) {
			return nil, fmt.Errorf("%w: CBOR body has a map key twice: %w", ErrAmbiguousRequest, err)
		}
		return nil, fmt.Errorf("%w: body is not a CBOR map: %w", ErrMalformedRequest, err)
	}
	if m == nil {
		m = map[string]any{}
	}
	if err := checkCBORTags(body); err != nil {
		return nil, err
	}
	if err := checkFoldedMembers(m, "$"); err != nil {
		return nil, err
	}
	return m, nil
}
