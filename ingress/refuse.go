package ingress

// Refusals of requests the identifier cannot read one way only
// (awsmodel.ErrAmbiguousRequest) or whose operation depends on a header the
// agent did not sign (awsmodel.ErrUnsignedInput). The executor forwards the
// agent's bytes, so such a request could run as another operation than the
// one policy judged: it is refused in the caller's protocol, logged once and
// recorded as a security.refused event (the security record) and, like
// every answer at the door, as a request.refused with outcome rejected (the
// call's terminal outcome); no request.received is published.

import (
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/jitgate/jitgate/internal/awsmodel"
	"github.com/jitgate/jitgate/internal/session"
	"github.com/jitgate/jitgate/schemas"
)

// refuseUnreadable answers err when it is an ambiguous or unsigned-input
// refusal from Identify and reports whether it did; other errors are left
// to the caller.
func (g *Ingress) refuseUnreadable(c *call, sess session.Session, err error) bool {
	var kind, what string
	switch {
	case errors.Is(err, awsmodel.ErrAmbiguousRequest):
		kind, what = schemas.SecurityAmbiguousRequest, "AWS could read it more than one way"
	case errors.Is(err, awsmodel.ErrUnsignedInput):
		kind, what = schemas.SecurityUnsignedInput, "a header that picks or fills the operation is not signed"
	default:
		return false
	}
	// The sentinel's text repeats what the answer says first.
	reason := strings.NewReplacer(awsmodel.ErrAmbiguousRequest.Error()+": ", "", awsmodel.ErrUnsignedInput.Error()+": ", "",
		"awsmodel: ", "").Replace(err.Error())
	g.securityRefusal(c, &sess, nil, kind, reason)
	g.refuseAtDoor(c, schemas.OutcomeRejected, kind+": "+reason, apiError{http.StatusBadRequest, refusalCode(c.protocol), fmt.Sprintf(
		"jitgate refused this request because %s: %s. Send it as the AWS SDKs do: every parameter once, in one place and one case, no '.' or '..' path segments, every header the operation reads signed (request id %s)",
		what, reason, c.id)})
	return true
}

// refusalCode is the error code each protocol's SDKs expect for a request
// the service could not parse.
func refusalCode(protocol string) string {
	switch protocol {
	case protoQuery, protoEC2:
		return "MalformedQueryString"
	case protoJSON, protoCBOR:
		return "SerializationException"
	default:
		return "InvalidRequest"
	}
}
