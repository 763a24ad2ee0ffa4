package masker

import (
	"fmt"
	"net/http"

	"github.com/jitgate/jitgate/internal/bus"
	"github.com/jitgate/jitgate/schemas"
)

// The agent's answer for a call whose outcome is unknown
// (execution.finished with ErrorKind schemas.ErrorOutcomeUnknown, written by
// the executor that recovered a call a crash left open).
//
// The status is 409, not a 5xx: SDKs retry 500, 502, 503 and 504 by
// themselves (and codes such as RequestTimeout), and an automatic retry of
// a call that may have run is exactly what the agent must not do. The code
// is one no SDK retries.
const (
	unknownStatus = http.StatusConflict
	unknownCode   = "OutcomeUnknown"
)

// unknown answers an outcome-unknown execution.finished. Its id and time
// derive from the execution.finished's, which every executor replica
// writes identically, so two copies of it make one answer in the log.
func (k *Masker) unknown(m bus.Message, fin *schemas.ExecutionFinished) (bus.Result, error) {
	id := m.Envelope.RequestID
	ready := &schemas.ResponseReady{ReplyTo: fin.ReplyTo, Outcome: schemas.OutcomeUnknown, Error: &schemas.APIError{
		Status: unknownStatus, Code: unknownCode,
		Message: fmt.Sprintf("jitgate cannot tell whether request %s ran: the executor running it stopped before AWS's answer was recorded, "+
			"so the call may or may not have taken effect. Check the resource's state before you retry; "+
			"operators list such requests with `jitgate audit unknown`.", id),
	}}
	out := k.outputs(m.Envelope, fin.ReplyTo)
	if err := out.reply(ready); err != nil {
		return bus.Result{}, err
	}
	return out.result(), nil
}
