package schemas

import (
	"encoding/json"
	"fmt"
	"time"
)

// Version is the schema version this build writes. Decoders accept exactly
// the versions listed in each type's registration.
const Version = 1

// Envelope wraps every event. Payload holds the JSON of the typed payload
// named by Type; use Decode to get it back as its Go type. To change it,
// assign a new slice (or call SetPayload), never write into its bytes.
// Body chunk events (IsChunk) are the exception: they travel raw
// (chunk.go), so their envelope holds the payload decoded, and Payload
// stays empty until Marshal.
type Envelope struct {
	ID        string          `json:"id"`
	Type      Type            `json:"type"`
	Version   int             `json:"version"`
	RequestID string          `json:"request_id"`
	Time      time.Time       `json:"time"`
	Producer  string          `json:"producer"`
	Payload   json.RawMessage `json:"payload"`
	// Auth authenticates the whole envelope (HMAC-SHA256, hex) for the
	// event types that confer authority; see Seal and Verify in mac.go.
	// Empty on other events.
	Auth string `json:"auth,omitempty"`
	// chunk is the payload of a body chunk event (NewEnvelope,
	// DecodeChunk), never encoded as JSON on its way through Kafka.
	chunk Payload
	// canon is the payload as NewEnvelope or Seal encoded it, already in
	// the form the envelope's JSON carries it in; while Payload is still
	// that very slice, Seal and Marshal use it as it is instead of
	// encoding it again (sameBytes).
	canon []byte
}

// Payload is implemented by every event payload type.
type Payload interface {
	// EventType names the payload's event type.
	EventType() Type
}

// NewEnvelope builds an envelope for p. id must be unique per event; producer
// names the role and replica that wrote it (for example "decider/host-1").
//
// A body chunk's payload is kept as it is (a shallow copy: Data is shared,
// not copied), for EncodeChunk; the caller must not change Data until the
// event is published.
func NewEnvelope(id, requestID, producer string, at time.Time, p Payload) (Envelope, error) {
	if IsChunk(p.EventType()) {
		return Envelope{ID: id, Type: p.EventType(), Version: Version, RequestID: requestID, Time: at.UTC(),
			Producer: producer, chunk: copyChunk(p)}, nil
	}
	raw, err := json.Marshal(p)
	if err != nil {
		return Envelope{}, fmt.Errorf("encode %s payload: %w", p.EventType(), err)
	}
	return Envelope{
		ID:        id,
		Type:      p.EventType(),
		Version:   Version,
		RequestID: requestID,
		Time:      at.UTC(),
		Producer:  producer,
		Payload:   raw,
		canon:     raw,
	}, nil
}

// SetPayload replaces e's payload with p, encoded as NewEnvelope encodes
// it (so that Seal and Marshal need not encode it again); it keeps every
// other field, Auth included. p must be of e's type.
func (e *Envelope) SetPayload(p Payload) error {
	if p.EventType() != e.Type {
		return fmt.Errorf("%w: %s envelope, %s payload", ErrWrongType, e.Type, p.EventType())
	}
	raw, err := json.Marshal(p)
	if err != nil {
		return fmt.Errorf("encode %s payload: %w", p.EventType(), err)
	}
	e.Payload, e.canon = raw, raw
	return nil
}

// Marshal encodes the envelope as JSON. A body chunk's payload is encoded
// too (Kafka carries chunks in their record form instead; see EncodeChunk).
func (e Envelope) Marshal() ([]byte, error) {
	if e.chunk != nil && len(e.Payload) == 0 {
		raw, err := json.Marshal(e.chunk)
		if err != nil {
			return nil, fmt.Errorf("encode %s payload: %w", e.Type, err)
		}
		e.Payload, e.canon = raw, raw
	}
	return appendEnvelope(make([]byte, 0, envelopeOverhead+len(e.Payload)), e, sameBytes(e.Payload, e.canon))
}

// envelopeOverhead is room for an envelope's fields besides its payload.
const envelopeOverhead = 384

// Unmarshal decodes an envelope strictly: unknown fields, an unknown type and
// an unsupported version are errors.
func Unmarshal(data []byte) (Envelope, error) {
	var e Envelope
	if err := unmarshalStrict(data, &e); err != nil {
		return Envelope{}, fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	if err := e.check(); err != nil {
		return Envelope{}, err
	}
	return e, nil
}

func (e Envelope) check() error {
	if e.ID == "" {
		return fmt.Errorf("%w: missing id", ErrMalformed)
	}
	if _, ok := registry[e.Type]; !ok {
		return &UnknownTypeError{Type: e.Type}
	}
	if e.Version != Version {
		return &UnsupportedVersionError{Type: e.Type, Version: e.Version}
	}
	return nil
}

// Decode returns the envelope's payload as its Go type (a pointer to the
// struct registered for e.Type). Unknown payload fields are an error.
func (e Envelope) Decode() (Payload, error) {
	if err := e.check(); err != nil {
		return nil, err
	}
	if e.chunk != nil && len(e.Payload) == 0 {
		if e.chunk.EventType() != e.Type {
			return nil, fmt.Errorf("%w: %s envelope holds a %s payload", ErrMalformed, e.Type, e.chunk.EventType())
		}
		return copyChunk(e.chunk), nil
	}
	p := registry[e.Type]()
	if err := unmarshalStrict(e.Payload, p); err != nil {
		return nil, fmt.Errorf("%w: %s payload: %v", ErrMalformed, e.Type, err)
	}
	return p, nil
}

// DecodeAs decodes e's payload into the concrete type T, failing when the
// envelope holds another type.
func DecodeAs[T Payload](e Envelope) (T, error) {
	var zero T
	p, err := e.Decode()
	if err != nil {
		return zero, err
	}
	t, ok := p.(T)
	if !ok {
		return zero, fmt.Errorf("%w: want %s, got %s", ErrWrongType, zero.EventType(), e.Type)
	}
	return t, nil
}
