package schemas

// SecurityRefused records something the gateway refused because it could
// be an attack: a request that AWS could read two ways, a replayed
// signature, an event on Kafka that no entitled stage wrote, a decision
// replayed or past its deadline. Every stage that refuses such a thing
// writes one to TopicSecurity, keyed by the request id when there is one;
// the recorder keeps them for auditors.
type SecurityRefused struct {
	// Stage is the role that refused ("ingress", "decider", "executor", ...).
	Stage string `json:"stage"`
	// Kind classifies the refusal; see the Security* constants.
	Kind string `json:"kind"`
	// Reason says, for a human, what was refused and why.
	Reason string `json:"reason"`
	// Principal is the caller when one was authenticated.
	Principal *Principal `json:"principal,omitempty"`
	// Source is the client address for refusals at the ingress.
	Source    string `json:"source,omitempty"`
	Service   string `json:"service,omitempty"`
	Operation string `json:"operation,omitempty"`
	// Event locates a refused Kafka event: its id, type and where it was
	// read. Empty for refused HTTP requests.
	EventID     string `json:"event_id,omitempty"`
	RefusedType Type   `json:"event_type,omitempty"`
	Producer    string `json:"producer,omitempty"`
	Topic       string `json:"topic,omitempty"`
	Partition   int32  `json:"partition,omitempty"`
	Offset      int64  `json:"offset,omitempty"`
}

// EventType implements Payload.
func (*SecurityRefused) EventType() Type { return TypeSecurityRefused }

// SecurityRefused kinds.
const (
	// SecurityAmbiguousRequest: the request could be read more than one way
	// (dot segments, a parameter in two places, case-variant keys, a
	// protocol signal that disagrees with the body, ...).
	SecurityAmbiguousRequest = "ambiguous_request"
	// SecurityUnsignedInput: a header or payload that changes what AWS runs
	// was not covered by the signature.
	SecurityUnsignedInput = "unsigned_input"
	// SecurityReplay: a signature already used within its validity window.
	SecurityReplay = "replayed_signature"
	// SecurityForgedEvent: an event whose authentication code does not
	// verify, or that a stage not entitled to write it wrote.
	SecurityForgedEvent = "forged_event"
	// SecurityReplayedEvent: an authentic event acted on before (a decision
	// for a request id already executed) or past its deadline.
	SecurityReplayedEvent = "replayed_event"
	// SecurityRoleNotAllowed: a role outside the operator's allow-list was
	// named (AssumeRoleWithWebIdentity) or was to be assumed (executor).
	SecurityRoleNotAllowed = "role_not_allowed"
	// SecurityWithheldResponse: an upstream answer the masker could not
	// check for secrets (it does not parse, or its Content-Encoding cannot
	// be decoded) and withheld from the agent.
	SecurityWithheldResponse = "withheld_response"
)
