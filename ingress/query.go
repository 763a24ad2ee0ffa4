package ingress

import (
	"encoding/xml"
	"net/http"
)

// Query-protocol (STS, IAM, SQS query, ...) and EC2 error bodies.

type queryErrorResponse struct {
	XMLName   xml.Name   `xml:"ErrorResponse"`
	Error     queryError `xml:"Error"`
	RequestID string     `xml:"RequestId"`
}

type queryError struct {
	Type    string `xml:"Type"`
	Code    string `xml:"Code"`
	Message string `xml:"Message"`
}

type ec2ErrorResponse struct {
	XMLName   xml.Name   `xml:"Response"`
	Errors    []ec2Error `xml:"Errors>Error"`
	RequestID string     `xml:"RequestID"`
}

type ec2Error struct {
	Code    string `xml:"Code"`
	Message string `xml:"Message"`
}

func writeQueryError(w http.ResponseWriter, protocol, requestID string, e apiError) {
	var body any = queryErrorResponse{Error: queryError{Type: faultType(e.Status), Code: e.Code, Message: e.Message}, RequestID: requestID}
	if protocol == protoEC2 {
		body = ec2ErrorResponse{Errors: []ec2Error{{Code: e.Code, Message: e.Message}}, RequestID: requestID}
	}
	writeXML(w, e.Status, body)
}

func faultType(status int) string {
	if status >= 500 {
		return "Receiver"
	}
	return "Sender"
}

func writeXML(w http.ResponseWriter, status int, v any) {
	out, err := xml.Marshal(v)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/xml")
	w.WriteHeader(status)
	w.Write([]byte(xml.Header))
	w.Write(out)
}
