package masker

import (
	"strconv"
	"time"

	"github.com/jitgate/jitgate/internal/bus"
	"github.com/jitgate/jitgate/schemas"
)

// outputs builds the events the masker writes for one input event. Each is
// a pure function of the input, so an input handled twice (the masker is an
// idempotent stage: a crash between its writes and its offset commit hands
// the input out again) yields the same events, byte for byte:
//
//   - id: the input's id, "/", the output's role (its type, and for a body
//     chunk its sequence number), the way the executor derives its own;
//   - time: the input's time plus n+1 microseconds for the n-th output, never
//     the clock: the recorder's table is ordered by (request_id, ts_us,
//     event_id), so a second copy with another time would be a second row,
//     and the offsets keep the outputs after their input and in order.
//
// Only the producer field may differ, when another replica writes the
// copy; the recorder still keeps one row for both.
type outputs struct {
	in       schemas.Envelope
	producer string
	replyTo  string
	out      []bus.Output
}

func (k *Masker) outputs(in schemas.Envelope, replyTo string) *outputs {
	return &outputs{in: in, producer: k.cfg.Instance, replyTo: replyTo}
}

// next is the id and time of the next output with role.
func (o *outputs) next(role string) (string, time.Time) {
	return o.in.ID + "/" + role, o.in.Time.Add(time.Duration(len(o.out)+1) * time.Microsecond)
}

// reply adds p (response.ready or a response.body_chunk) for the ingress
// replica that waits for it.
func (o *outputs) reply(p schemas.Payload) error {
	role := string(p.EventType())
	if c, ok := p.(*schemas.ResponseBodyChunk); ok {
		role += "/" + strconv.Itoa(c.Seq)
	}
	id, at := o.next(role)
	env, err := schemas.NewEnvelope(id, o.in.RequestID, o.producer, at, p)
	if err != nil {
		return err
	}
	o.out = append(o.out, bus.Output{Topic: schemas.TopicResponses, ReplyTo: o.replyTo, Envelope: env})
	return nil
}

// refused adds the security.refused event of a withheld response.
func (o *outputs) refused(r *schemas.SecurityRefused) error {
	id, at := o.next(string(schemas.TypeSecurityRefused))
	out, err := bus.Refusal(o.producer, o.in.RequestID, at, r)
	if err != nil {
		return err
	}
	out.Envelope.ID = id // bus.Refusal's id is random
	o.out = append(o.out, out)
	return nil
}

func (o *outputs) result() bus.Result { return bus.Result{Out: o.out} }
