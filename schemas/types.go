package schemas

// Type names an event type. The string is what goes on the wire.
type Type string

// Event types of the request lifecycle.
const (
	TypeRequestReceived   Type = "request.received"
	TypeRequestBodyChunk  Type = "request.body_chunk"
	TypeDecisionMade      Type = "decision.made"
	TypeHoldOpened        Type = "hold.opened"
	TypeHoldJustified     Type = "hold.justified"
	TypeApprovalGiven     Type = "approval.given"
	TypeHoldApproved      Type = "hold.approved"
	TypeHoldDenied        Type = "hold.denied"
	TypeHoldExpired       Type = "hold.expired"
	TypeGrantOpened       Type = "grant.opened"
	TypeGrantRevoked      Type = "grant.revoked"
	TypeExecutionStarted  Type = "execution.started"
	TypeExecutionFinished Type = "execution.finished"
	TypeResponseReady     Type = "response.ready"
	TypeResponseBodyChunk Type = "response.body_chunk"
	TypePolicyLoaded      Type = "policy.loaded"
	TypeSecurityRefused   Type = "security.refused"
	TypeSignatureSeen     Type = "signature.seen"
	TypeDeadLetter        Type = "dead_letter"
)

// registry maps each known type to a constructor of its payload.
var registry = map[Type]func() Payload{
	TypeRequestReceived:   func() Payload { return new(RequestReceived) },
	TypeRequestBodyChunk:  func() Payload { return new(RequestBodyChunk) },
	TypeDecisionMade:      func() Payload { return new(DecisionMade) },
	TypeHoldOpened:        func() Payload { return new(HoldOpened) },
	TypeHoldJustified:     func() Payload { return new(HoldJustified) },
	TypeApprovalGiven:     func() Payload { return new(ApprovalGiven) },
	TypeHoldApproved:      func() Payload { return new(HoldApproved) },
	TypeHoldDenied:        func() Payload { return new(HoldDenied) },
	TypeHoldExpired:       func() Payload { return new(HoldExpired) },
	TypeGrantOpened:       func() Payload { return new(GrantOpened) },
	TypeGrantRevoked:      func() Payload { return new(GrantRevoked) },
	TypeExecutionStarted:  func() Payload { return new(ExecutionStarted) },
	TypeExecutionFinished: func() Payload { return new(ExecutionFinished) },
	TypeResponseReady:     func() Payload { return new(ResponseReady) },
	TypeResponseBodyChunk: func() Payload { return new(ResponseBodyChunk) },
	TypePolicyLoaded:      func() Payload { return new(PolicyLoaded) },
	TypeSecurityRefused:   func() Payload { return new(SecurityRefused) },
	TypeSignatureSeen:     func() Payload { return new(SignatureSeen) },
	TypeDeadLetter:        func() Payload { return new(DeadLetter) },
	TypeRequestRefused:    func() Payload { return new(RequestRefused) },
	TypeSessionIssued:     func() Payload { return new(SessionIssued) },
}

// Types lists every known event type.
func Types() []Type {
	out := make([]Type, 0, len(registry))
	for t := range registry {
		out = append(out, t)
	}
	return out
}
