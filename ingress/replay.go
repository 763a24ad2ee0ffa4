package ingress

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"sync"
	"time"

	"github.com/jitgate/jitgate/internal/awsmodel"
	"github.com/jitgate/jitgate/internal/bus"
	"github.com/jitgate/jitgate/internal/ids"
	"github.com/jitgate/jitgate/internal/session"
	"github.com/jitgate/jitgate/internal/sigv4"
	"github.com/jitgate/jitgate/schemas"
)

// Replays. SigV4 does not stop a captured request from being sent again
// while its signature is valid (X-Amz-Date ±15 minutes; a presigned URL
// until X-Amz-Expires). The ingress refuses a signature it has seen for an
// operation that is not read-only, in either form; read-only operations
// may repeat until the signature expires:
//
//   - presigned URLs for reads are pasted into browsers, which retry and
//     resume downloads;
//   - botocore (AWS CLI, boto3) adds amz-sdk-invocation-id and
//     amz-sdk-request after signing, so two identical calls in the same
//     second (a script's head-object then `aws s3 cp`, or a quick retry)
//     carry the same signature;
//   - repeating a read gives nobody anything the first did not.
//
// A state-changing call is single-use: botocore's same-second repeat of
// one is refused with a message telling the agent to sign a new request.
//
// Each replica keeps the SHA-256 digests of the signatures it accepted, and
// of those other replicas accepted, until each signature expires. A replica
// shares a digest as signature.seen on the signatures topic, in the same
// publish as the request itself, and tails that topic (from ReplayLookback
// ago at start) to learn the others'. Between replicas there is a race
// window: the time from one replica's publish to another's tail reading it
// (milliseconds on a healthy cluster). The same signature sent to two
// replicas inside that window is accepted by both; within one replica the
// check and the claim are one atomic step.

// sigDigest is the SHA-256 of a signature: never the signature itself, which
// is a bearer credential until it expires.
type sigDigest [sha256.Size]byte

// signatureSet holds digests until their signatures expire.
type signatureSet struct {
	mu        sync.Mutex
	until     map[sigDigest]time.Time
	nextSweep time.Time
}

func newSignatureSet() *signatureSet { return &signatureSet{until: map[sigDigest]time.Time{}} }

// sweepEvery spaces out the sweeps of expired digests.
const sweepEvery = time.Minute

// claim records d until expires and reports whether it was new (or had
// expired).
func (s *signatureSet) claim(d sigDigest, expires, now time.Time) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.sweep(now)
	if t, ok := s.until[d]; ok && t.After(now) {
		return false
	}
	s.until[d] = expires
	return true
}

// note records a digest another replica (or this one, read back) accepted.
func (s *signatureSet) note(d sigDigest, expires, now time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.sweep(now)
	if expires.After(now) && expires.After(s.until[d]) {
		s.until[d] = expires
	}
}

// has reports whether d is held and not expired.
func (s *signatureSet) has(d sigDigest, now time.Time) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	t, ok := s.until[d]
	return ok && t.After(now)
}

func (s *signatureSet) sweep(now time.Time) {
	if now.Before(s.nextSweep) {
		return
	}
	for d, t := range s.until {
		if !t.After(now) {
			delete(s.until, d)
		}
	}
	s.nextSweep = now.Add(sweepEvery)
}

// claimedSignature is a signature this replica accepted, and the
// signature.seen event that tells the others.
type claimedSignature struct {
	out bus.Output
}

// claimSignature refuses a replayed signature and otherwise claims it,
// returning the event to publish with the request (nil for a read-only
// operation, which may repeat).
func (g *Ingress) claimSignature(c *call, sess session.Session, v *sigv4.Result, op *awsmodel.Operation, now time.Time) (*claimedSignature, bool) {
	if op.ReadOnly {
		return nil, true
	}
	d := sigDigest(sha256.Sum256([]byte(v.Signature)))
	expires := v.SignedAt.Add(sigv4.MaxSkew)
	if v.Presigned {
		expires = v.Expires
	}
	if sess.Expires.Before(expires) {
		expires = sess.Expires // the session cannot open after that
	}
	if !g.seen.claim(d, expires, now) {
		what, next := "this signed request was already used, and signed requests for "+op.Service+":"+op.Name+" are single-use",
			"sign a new request (a second later, the same call signs differently)"
		if v.Presigned {
			what, next = "this presigned URL was already used, and presigned URLs for "+op.Service+":"+op.Name+" are single-use", "presign a new URL"
		}
		c.replayed = true
		g.securityRefusal(c, &sess, op, schemas.SecurityReplay, what+" (replayed signature)")
		g.refuseAtDoor(c, schemas.OutcomeRejected, "replayed signature", apiError{http.StatusForbidden, "AccessDenied", fmt.Sprintf("%s: %s (request id %s)", what, next, c.id)})
		return nil, false
	}
	hexDigest := hex.EncodeToString(d[:])
	// Not one of the request's events (its timeline stays the request's
	// lifecycle): no request id, keyed by the digest.
	env, err := schemas.NewEnvelope(ids.New(), "", g.producer, now,
		&schemas.SignatureSeen{Digest: hexDigest, Expires: expires.UTC(), Replica: g.cfg.Replica})
	if err != nil {
		g.failInternally(c, err)
		return nil, false
	}
	return &claimedSignature{out: bus.Output{Topic: schemas.TopicSignatures, Key: hexDigest, Envelope: env}}, true
}

// noteSignature applies a signature.seen event from the signatures topic.
func (g *Ingress) noteSignature(m bus.Message) {
	ev, err := schemas.DecodeAs[*schemas.SignatureSeen](m.Envelope)
	if err != nil {
		g.log.Warn("signatures event not applied", "type", m.Envelope.Type, "err", err)
		return
	}
	var d sigDigest
	if n, err := hex.Decode(d[:], []byte(ev.Digest)); err != nil || n != len(d) {
		g.log.Warn("signatures event not applied: bad digest", "request_id", m.Envelope.RequestID)
		return
	}
	g.seen.note(d, ev.Expires, g.deps.Now())
}

// outputs appends the claim's event, if any, to outs.
func (s *claimedSignature) outputs(outs []bus.Output) []bus.Output {
	if s == nil {
		return outs
	}
	return append(outs, s.out)
}
