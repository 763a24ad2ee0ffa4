package ingress

import (
	"net/http"
	"slices"
	"strings"

	"github.com/jitgate/jitgate/internal/awsmodel"
	"github.com/jitgate/jitgate/internal/sigv4"
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

// protocolHints are the protocols of every service by service id and by
// signing name (and endpoint prefix), from the model index. They shape the
// errors of requests that were not identified: an EC2 or REST-JSON client
// cannot parse the query or REST-XML shape.
type protocolHints struct {
	byService, bySigning map[string][]string
}

func newProtocolHints(models *awsmodel.Index) protocolHints {
	h := protocolHints{byService: map[string][]string{}, bySigning: map[string][]string{}}
	for _, id := range models.Services() {
		info, ok := models.Service(id)
		if !ok {
			continue
		}
		h.byService[id] = info.Protocols
		for _, name := range []string{info.SigningName, info.EndpointPrefix} {
			if name != "" {
				h.bySigning[name] = append(h.bySigning[name], info.Protocols...)
			}
		}
	}
	return h
}

// of returns the protocols of the services r may be for: the one its
// /svc/<id> path names, else those signing as its credential scope says.
func (h protocolHints) of(r *http.Request) []string {
	if svc, _, ok := awsmodel.SplitServicePath(r.URL.Path); ok {
		if protos, ok := h.byService[svc]; ok {
			return protos
		}
	}
	var name string
	if a, err := sigv4.ParseAuthorization(r.Header.Get("Authorization")); err == nil {
		name = a.Service
	} else if parts := strings.Split(r.URL.Query().Get("X-Amz-Credential"), "/"); len(parts) == 5 {
		name = parts[3]
	}
	return h.bySigning[strings.ToLower(name)]
}

// guessProtocol picks the error shape for a request that was not identified
// (bad signature, unknown operation): the shape its headers suggest, settled
// by the protocols of the services its path or credential scope names.
func (h protocolHints) guessProtocol(r *http.Request) string {
	switch {
	case r.Header.Get("Smithy-Protocol") == "rpc-v2-cbor":
		return protoCBOR
	case r.Header.Get("X-Amz-Target") != "":
		return protoJSON
	}
	protos := h.of(r)
	switch {
	case strings.HasPrefix(r.Header.Get("Content-Type"), "application/x-www-form-urlencoded"),
		r.URL.Query().Get("Action") != "":
		if slices.Contains(protos, protoEC2) {
			return protoEC2
		}
		return protoQuery
	case slices.Contains(protos, protoRESTJSON) && !slices.Contains(protos, protoRESTXML):
		return protoRESTJSON
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
