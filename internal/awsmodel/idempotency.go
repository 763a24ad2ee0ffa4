package awsmodel

import (
	"strings"

	"github.com/jitgate/jitgate/internal/awsmodel/internal/modelfile"
)

// TokenMember is an operation's idempotency-token input member: the member
// botocore marks "idempotencyToken": true (ec2 RunInstances ClientToken,
// dynamodb TransactWriteItems ClientRequestToken). SDKs fill it with a
// fresh UUID when the caller leaves it empty, and AWS runs two requests
// with the same token (and the same parameters) once, so the same bytes
// sent again are safe to send.
type TokenMember struct {
	Member string // member name, e.g. "ClientToken"
	// Location is where it travels: "body" (a JSON or CBOR member, a query
	// or EC2 key, an XML element), "querystring" or "header".
	Location string
	// WireName is its name there in the service's default protocol: the
	// JSON key, the query or EC2 key ("ClientToken" for EC2's
	// "clientToken"), the querystring key or the header name.
	WireName string
}

// IdempotencyToken returns op's idempotency-token member; false when the
// operation has none (sts, most reads) or is unknown.
func (ix *Index) IdempotencyToken(service, op string) (TokenMember, bool) {
	s, ok := ix.services[service]
	if !ok {
		return TokenMember{}, false
	}
	o := ix.lookup(service, op)
	if o == nil || o.Token == nil {
		return TokenMember{}, false
	}
	t := o.Token
	tm := TokenMember{Member: t.Name, Location: "body", WireName: tokenKey(t, s.info.Protocols[0])}
	switch t.Loc {
	case modelfile.LocQuery:
		tm.Location, tm.WireName = "querystring", locOr(t)
	case modelfile.LocHeader:
		tm.Location, tm.WireName = "header", locOr(t)
	}
	return tm, true
}

// tokenKey is the key of Operation.Params that holds the token in a
// request of protocol: bound REST members are keyed by member name, body
// members by their name on the wire.
func tokenKey(t *modelfile.Token, protocol string) string {
	switch {
	case t.Loc != "":
		return t.Name
	case protocol == "smithy-rpc-v2-cbor":
		return t.Name // RPCv2 ignores locationName
	case protocol == "ec2":
		// botocore's EC2Serializer: queryName, else locationName
		// capitalised, else the member name.
		if t.QueryName != "" {
			return t.QueryName
		}
		if t.LocName != "" {
			return strings.ToUpper(t.LocName[:1]) + t.LocName[1:]
		}
		return t.Name
	default:
		return locOr(t)
	}
}

func locOr(t *modelfile.Token) string {
	if t.LocName != "" {
		return t.LocName
	}
	return t.Name
}

// requestToken returns the token value params carry for o, "" if o has no
// token member or the request leaves it out or empty.
func requestToken(o *operation, protocol string, params map[string]any) string {
	if o.Token == nil {
		return ""
	}
	v, _ := params[tokenKey(o.Token, protocol)].(string)
	return v
}
