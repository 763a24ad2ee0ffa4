package audit

import (
	"fmt"
	"slices"
	"strings"

	"github.com/jitgate/jitgate/schemas"
)

// Outcomes are the values Filter.Outcome accepts: a request's final
// answer (a response.ready's; a call answered at the ingress's door; a
// credential exchange answered with credentials), the decision, or the
// hold's end (as the recorder writes them). A new outcome must be added
// here to be asked for.
var Outcomes = []string{
	schemas.OutcomeExecuted, schemas.OutcomeDenied, schemas.OutcomeHeld, schemas.OutcomeError, schemas.OutcomeUnknown,
	schemas.OutcomeThrottled, schemas.OutcomeUnavailable, schemas.OutcomeUnauthenticated, schemas.OutcomeRejected,
	schemas.OutcomeIssued,
	string(schemas.Allow), string(schemas.Deny), string(schemas.Hold),
	"approved", "expired", // a hold's end; "denied" is listed above
}

// Validate reports a filter the query cannot answer: an outcome that is
// not one of Outcomes (ErrBadOutcome, naming the valid ones).
func (f Filter) Validate() error {
	if f.Outcome != "" && !slices.Contains(Outcomes, f.Outcome) {
		return fmt.Errorf("%w %q; use one of: %s", ErrBadOutcome, f.Outcome, strings.Join(Outcomes, ", "))
	}
	return nil
}
