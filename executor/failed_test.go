package executor

import (
	"errors"
	"fmt"
	"testing"

	"github.com/jitgate/jitgate/schemas"
)

// A call refused for a reason that may be an attack ends with its
// execution.finished error and is also recorded as security.refused; an
// ordinary failure is not.
func TestFailedRecordsSecurityRefusals(t *testing.T) {
	e, _, _ := newUnit(t, unitConfig(), Deps{})
	d := &schemas.DecisionMade{Outcome: schemas.Allow, RequestID: "r1", Request: schemas.RequestReceived{
		Principal: schemas.Principal{Subject: "bot", Issuer: "https://issuer"}, Service: "neptune", Operation: "DeleteDBCluster"}}
	tests := []struct {
		name  string
		cause error
		kind  string // "" = no security event
	}{
		{"reroute", fmt.Errorf("%w: neptune reads as rds", ErrReroute), schemas.SecurityAmbiguousRequest},
		{"role not allowed", fmt.Errorf("%w: arn:aws:iam::1:role/admin", ErrRoleNotAllowed), schemas.SecurityRoleNotAllowed},
		{"upstream down", errors.New("connection refused"), ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			outs, err := e.failed("r1", 1, d, tt.cause, 0)
			if err != nil {
				t.Fatal(err)
			}
			if outs[0].Envelope.Type != schemas.TypeExecutionFinished {
				t.Fatalf("first output %s, want execution.finished", outs[0].Envelope.Type)
			}
			if tt.kind == "" {
				if len(outs) != 1 {
					t.Fatalf("%d outputs for an ordinary failure", len(outs))
				}
				return
			}
			if len(outs) != 2 || outs[1].Topic != schemas.TopicSecurity {
				t.Fatalf("outputs %v, want execution.finished and security.refused", outs)
			}
			r, err := schemas.DecodeAs[*schemas.SecurityRefused](outs[1].Envelope)
			if err != nil {
				t.Fatal(err)
			}
			if r.Kind != tt.kind || r.Stage != "executor" || r.Principal == nil || r.Principal.Subject != "bot" || outs[1].Envelope.RequestID != "r1" {
				t.Fatalf("refusal %+v", r)
			}
		})
	}
}
