package schemas

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Kafka is a network others may be able to write to. Every event that
// confers authority carries an authentication code over its whole
// envelope (Envelope.Auth), made with a key only the stages entitled to
// write it hold, and names a producer of the role entitled to write it.
// A reader acts on such an event only when Verify accepts it.

// Roles that write authority events; a producer name is the role, "/", and
// the instance (see ProducerName).
const (
	RoleDecider  = "decider"
	RoleIngress  = "ingress"
	RoleExecutor = "executor"
)

// MinKeyLen is the shortest authentication key Seal and Verify accept, in
// bytes.
const MinKeyLen = 16

// Errors of Seal and Verify; test with errors.Is.
var (
	// ErrBadAuth reports an event whose authentication code is missing or
	// does not verify: a stage holding the key did not write it as it is
	// (forged, altered, rewrapped under another request id or type).
	ErrBadAuth = errors.New("schemas: event authentication code does not verify")
	// ErrWrongProducer reports an authentic-looking event whose producer is
	// not of the role entitled to write its type.
	ErrWrongProducer = errors.New("schemas: event producer is not entitled to write this event type")
	// ErrShortKey reports an authentication key shorter than MinKeyLen.
	ErrShortKey = errors.New("schemas: authentication key is too short")
)

// writers names, for each authority event type, the one role entitled to
// write it. The decision key covers decision.made and execution.started
// (which makes executors refuse a decision as already run); the holds key covers
// the rest: the holds and grants topics, and request.received, which names
// the principal the decider judges (its body chunks are bound to it by
// HTTPRequest.ChunkSHA256).
var writers = map[Type]string{
	TypeRequestReceived: RoleIngress,
	TypeDecisionMade:    RoleDecider,
	TypeHoldOpened:      RoleDecider,
	TypeHoldApproved:    RoleDecider,
	TypeHoldExpired:     RoleDecider,
	TypeGrantOpened:     RoleDecider,
	TypeApprovalGiven:   RoleIngress,
	TypeHoldDenied:      RoleIngress,
	TypeHoldJustified:   RoleIngress,
	TypeGrantRevoked:    RoleIngress,
}

// Writer returns the role entitled to write events of type t, and whether
// t confers authority at all (only those are sealed).
func Writer(t Type) (role string, ok bool) {
	role, ok = writers[t]
	return role, ok
}

// ProducerName is the producer an instance of role writes as, e.g.
// "decider/host-1". Verify checks the role prefix of authority events.
func ProducerName(role, instance string) string { return role + "/" + instance }

// Seal sets env.Auth to the HMAC-SHA256 (hex) of every envelope field (id,
// type, version, request id, time, producer and the exact payload bytes)
// under key. It first puts the payload in the form the envelope's JSON
// encoding writes, so that the bytes a reader verifies are the bytes
// sealed; a payload NewEnvelope encoded is in that form already.
func Seal(env *Envelope, key []byte) error {
	if len(key) < MinKeyLen {
		return fmt.Errorf("%w: %d bytes, need at least %d", ErrShortKey, len(key), MinKeyLen)
	}
	if !sameBytes(env.Payload, env.canon) {
		wire, err := json.Marshal(env.Payload)
		if err != nil {
			return fmt.Errorf("%w: %s payload: %v", ErrMalformed, env.Type, err)
		}
		env.Payload, env.canon = wire, wire
	}
	env.Auth = hex.EncodeToString(authCode(*env, key))
	return nil
}

// Verify checks env.Auth under key, then, for an authority event type,
// that env.Producer is of the role entitled to write it. The error wraps
// ErrBadAuth, ErrWrongProducer or ErrShortKey.
func Verify(env Envelope, key []byte) error {
	if len(key) < MinKeyLen {
		return fmt.Errorf("%w: %d bytes, need at least %d", ErrShortKey, len(key), MinKeyLen)
	}
	if !authentic(env, key) {
		return fmt.Errorf("%w: %s event %q from %q", ErrBadAuth, env.Type, env.ID, env.Producer)
	}
	if role, ok := writers[env.Type]; ok && !strings.HasPrefix(env.Producer, role+"/") {
		return fmt.Errorf("%w: %s event %q from %q (only %s/... writes it)", ErrWrongProducer, env.Type, env.ID, env.Producer, role)
	}
	return nil
}

// authentic reports whether env.Auth is the hex HMAC authCode computes.
func authentic(env Envelope, key []byte) bool {
	var got [sha256.Size]byte
	if len(env.Auth) != hex.EncodedLen(len(got)) {
		return false
	}
	if _, err := hex.Decode(got[:], []byte(env.Auth)); err != nil {
		return false
	}
	return hmac.Equal(got[:], authCode(env, key))
}

// authCode is the HMAC of the envelope's fields, each length-prefixed so
// that no two envelopes share an input. Time is the instant in UTC at
// nanosecond precision, as the JSON encoding carries it. The fields
// before the payload are gathered into one buffer and written at once.
func authCode(env Envelope, key []byte) []byte {
	h := hmac.New(sha256.New, key)
	b := make([]byte, 0, 256)
	field := func(s string) {
		b = binary.BigEndian.AppendUint64(b, uint64(len(s)))
		b = append(b, s...)
	}
	field("jitgate/envelope/v1")
	field(env.ID)
	field(string(env.Type))
	var num [20]byte
	field(string(strconv.AppendInt(num[:0], int64(env.Version), 10)))
	field(env.RequestID)
	var at [64]byte
	field(string(env.Time.UTC().AppendFormat(at[:0], time.RFC3339Nano)))
	field(env.Producer)
	b = binary.BigEndian.AppendUint64(b, uint64(len(env.Payload)))
	h.Write(b)
	h.Write(env.Payload)
	return h.Sum(nil)
}
