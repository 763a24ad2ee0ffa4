package bus

import (
	"time"

	"github.com/jitgate/jitgate/internal/ids"
	"github.com/jitgate/jitgate/schemas"
)

// Refusal builds the security.refused event a stage publishes when it
// refuses a request or an event as a possible attack. requestID may be ""
// (a forged event for no known request); the record is then keyed by the
// new event id. producer names the role and replica, as for every event.
func Refusal(producer, requestID string, at time.Time, r *schemas.SecurityRefused) (Output, error) {
	id := ids.New()
	env, err := schemas.NewEnvelope(id, requestID, producer, at, r)
	if err != nil {
		return Output{}, err
	}
	key := requestID
	if key == "" {
		key = id
	}
	return Output{Topic: schemas.TopicSecurity, Key: key, Envelope: env}, nil
}
