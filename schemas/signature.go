package schemas

import "time"

// SignatureSeen tells every ingress replica that a request signature was
// used, so a replay is refused at any replica until the signature expires.
// It carries the SHA-256 of the signature, never the signature itself: a
// signature is a bearer credential until it expires.
type SignatureSeen struct {
	// Digest is the lowercase hex SHA-256 of the lowercase hex signature.
	Digest string `json:"digest"`
	// Expires is when the signature stops verifying anyway (X-Amz-Date plus
	// the 15-minute skew for the header form; X-Amz-Expires, or the
	// session's end if sooner, for presigned URLs). Replicas forget it then.
	Expires time.Time `json:"expires"`
	// Replica is the ingress replica that accepted the request.
	Replica string `json:"replica"`
}

// EventType implements Payload.
func (*SignatureSeen) EventType() Type { return TypeSignatureSeen }
