package ingress

import (
	"encoding/xml"
	"net/http"
)

// REST-XML (S3, Route 53, CloudFront) error bodies.

type restXMLError struct {
	XMLName   xml.Name `xml:"Error"`
	Code      string   `xml:"Code"`
	Message   string   `xml:"Message"`
	RequestID string   `xml:"RequestId"`
}

func writeRESTXMLError(w http.ResponseWriter, requestID string, e apiError) {
	writeXML(w, e.Status, restXMLError{Code: e.Code, Message: e.Message, RequestID: requestID})
}
