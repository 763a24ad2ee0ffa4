package ingress

import (
	"net/http"
)

// Smithy RPC v2 CBOR error bodies: a CBOR map {"__type": code, "message": msg}.

func writeCBORError(w http.ResponseWriter, requestID string, e apiError) {
	var b []byte
	b = append(b, 0xa2) // map of two pairs
	b = cborText(b, "__type")
	b = cborText(b, e.Code)
	b = cborText(b, "message")
	b = cborText(b, e.Message)
	h := w.Header()
	h.Set("Content-Type", "application/cbor")
	h.Set("Smithy-Protocol", "rpc-v2-cbor")
	h.Set("X-Amzn-Errortype", e.Code)
	w.WriteHeader(e.Status)
	w.Write(b)
}

// cborText appends s as a CBOR text string (major type 3).
func cborText(b []byte, s string) []byte {
	n := len(s)
	switch {
	case n < 24:
		b = append(b, 0x60|byte(n))
	case n < 1<<8:
		b = append(b, 0x78, byte(n))
	case n < 1<<16:
		b = append(b, 0x79, byte(n>>8), byte(n))
	default:
		b = append(b, 0x7a, byte(n>>24), byte(n>>16), byte(n>>8), byte(n))
	}
	return append(b, s...)
}
