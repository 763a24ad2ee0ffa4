package ingress

import (
	"net/http"
	"strings"
)

// Protocol families, as botocore names them.
const (
	protoQuery    = "query"
	protoEC2      = "ec2"
	protoJSON     = "json"
	protoRESTJSON = "rest-json"
	protoRESTXML  = "rest-xml"
	protoCBOR     = "smithy-rpc-v2-cbor"
)

// apiError is an error the agent gets in its own protocol.
type apiError struct {
	Status  int
	Code    string
	Message string
}

// guessProtocol picks the error shape for a request that was not identified
// (bad signature, unknown operation): the shape its headers suggest.
func guessProtocol(r *http.Request) string {
	switch {
	case r.Header.Get("Smithy-Protocol") == "rpc-v2-cbor":
		return protoCBOR
	case r.Header.Get("X-Amz-Target") != "":
		return protoJSON
	case strings.HasPrefix(r.Header.Get("Content-Type"), "application/x-www-form-urlencoded"),
		r.URL.Query().Get("Action") != "":
		return protoQuery
	default:
		return protoRESTXML
	}
}

// writeError renders e in protocol's own error shape so that every SDK
// surfaces the code and message.
func writeError(w http.ResponseWriter, protocol, requestID string, e apiError) {
	h := w.Header()
	h.Set("X-Amzn-Requestid", requestID)
	h.Set("X-Amz-Request-Id", requestID)
	switch protocol {
	case protoJSON, protoRESTJSON:
		writeJSONError(w, protocol, requestID, e)
	case protoCBOR:
		writeCBORError(w, requestID, e)
	case protoQuery, protoEC2:
		writeQueryError(w, protocol, requestID, e)
	default:
		writeRESTXMLError(w, requestID, e)
	}
}
