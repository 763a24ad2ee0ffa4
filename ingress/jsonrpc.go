package ingress

import (
	"encoding/json"
	"net/http"
)

// JSON 1.0/1.1 (DynamoDB, Lambda's control plane is REST-JSON) error bodies.
// Both JSON families carry the code in __type and X-Amzn-Errortype.

func writeJSONError(w http.ResponseWriter, protocol, requestID string, e apiError) {
	ct := "application/x-amz-json-1.1"
	if protocol == protoRESTJSON {
		ct = "application/json"
	}
	body, _ := json.Marshal(map[string]string{"__type": e.Code, "message": e.Message, "Message": e.Message})
	h := w.Header()
	h.Set("Content-Type", ct)
	h.Set("X-Amzn-Errortype", e.Code)
	w.WriteHeader(e.Status)
	w.Write(body)
}
