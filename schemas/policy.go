package schemas

// PolicyLoaded records a policy version coming into force on a decider.
type PolicyLoaded struct {
	Hash   string `json:"hash"`   // sha256 of the file, hex
	Source string `json:"source"` // file path
	By     string `json:"by"`     // decider replica that loaded it
	Rules  int    `json:"rules"`
}

// EventType implements Payload.
func (*PolicyLoaded) EventType() Type { return TypePolicyLoaded }
