package bus

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync/atomic"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
)

// Group timing shared by every consumer group jitgate runs. They are what
// makes failover fast:
//
//   - A stage restarted with the same instance id (static membership,
//     kgo.InstanceID) rejoins at once as the same member and gets its
//     partitions back without a rebalance; its transactional id, derived
//     from the same instance, fences the dead process's producer and aborts
//     its open transaction when the new one starts. Seconds, not a session
//     timeout.
//   - A member that dies and is not restarted is dropped after
//     SessionTimeout (6 s, the smallest a stock broker accepts:
//     group.min.session.timeout.ms) and its partitions move to the others
//     in the rebalance that follows, which waits at most RebalanceTimeout
//     for the survivors (they learn of it at their next heartbeat, every
//     second). Its open transaction, if it had one, is aborted by the
//     broker after TransactionTimeout (plus the broker's abort sweep, 10 s
//     by default on Apache Kafka), and only then can its successor read
//     the committed offsets of those partitions.
//   - A stage stopped gracefully leaves the group (RunStage sends the
//     LeaveGroup a static member does not send by itself), so its
//     partitions move at once.
const (
	SessionTimeout     = 6 * time.Second
	HeartbeatInterval  = time.Second
	RebalanceTimeout   = 10 * time.Second
	TransactionTimeout = 10 * time.Second
)

// groupTiming are the kgo options for the timings above.
func groupTiming() []kgo.Opt {
	return []kgo.Opt{
		kgo.SessionTimeout(SessionTimeout),
		kgo.HeartbeatInterval(HeartbeatInterval),
		kgo.RebalanceTimeout(RebalanceTimeout),
	}
}

// leaveGroup removes the static member instance from group, so its
// partitions are reassigned now rather than after the session timeout. It
// must run after the member's own client is closed (a live client would
// rejoin). cl is any client of the cluster.
func leaveGroup(ctx context.Context, cl *kgo.Client, group, instance string, log *slog.Logger) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	resps, err := kadm.NewClient(cl).LeaveGroup(ctx, kadm.LeaveGroup(group).InstanceIDs(instance).Reason("shutting down"))
	if err == nil {
		err = resps.Error()
	}
	if err != nil && !errors.Is(err, kerr.UnknownMemberID) {
		log.Warn("could not leave the group; its partitions move after the session timeout", "instance", instance,
			"session_timeout", SessionTimeout, "err", err)
		return
	}
	log.Info("left the group", "instance", instance)
}

// fenced reports an error meaning another process now holds this stage's
// identity: its transactional producer was fenced by a newer one with the
// same transactional id, or its static group membership was taken by a
// member with the same instance id. (A transaction the broker aborted
// because it outlived TransactionTimeout, for example in a process that was
// frozen, looks the same to the producer.)
func fenced(err error) bool {
	return errors.Is(err, kerr.ProducerFenced) || errors.Is(err, kerr.InvalidProducerEpoch) ||
		errors.Is(err, kerr.FencedInstanceID) || errors.Is(err, kerr.TransactionalIDAuthorizationFailed)
}

// heldByTwin reports whether another live process holds this stage's
// instance id, after the stage met err (fenced): certainly so for
// FENCED_INSTANCE_ID; for a fenced producer, when the group lists a member
// with this instance id that is not this session's. A producer fenced
// with no such twin fenced itself (Kafka 4's transaction protocol bumps
// the epoch on every end, and a transaction the broker timed out looks
// the same): the stage rebuilds its client instead of stopping. own is
// the session's member id, read before the session closed.
func (s *stage) heldByTwin(ctx context.Context, own string, err error) bool {
	if errors.Is(err, kerr.FencedInstanceID) {
		return true
	}
	if own == "" {
		return false
	}
	// A twin initializes its producer as soon as its client starts
	// (initProducer), before its JoinGroup lands: look for it for a while
	// before deciding the producer fenced itself. Rebuilding too soon would
	// rejoin under the shared instance id and fence the twin instead; so
	// would a client kept open meanwhile, which is why the session is
	// closed first.
	grace := twinGrace
	if !fenced(err) {
		// A transaction that could not begin is far more often the
		// stage's own (an EndTxn the broker refused) than a twin's doing:
		// look briefly, so that recovering from it stays fast.
		grace = beginTwinGrace
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), grace)
	defer cancel()
	for {
		twin, derr := s.twinListed(ctx, own)
		switch {
		case twin:
			return true
		case derr != nil && ctx.Err() == nil:
			s.log.Warn("cannot tell whether another process holds this instance id; rebuilding the client", "err", derr)
			return false
		}
		select {
		case <-ctx.Done():
			return false
		case <-time.After(twinPoll):
		}
	}
}

// How long, and how often, heldByTwin looks for a twin in the group.
const (
	twinGrace      = 5 * time.Second
	beginTwinGrace = time.Second
	twinPoll       = 200 * time.Millisecond
)

// twinListed reports whether the group lists a member with this stage's
// instance id other than own.
func (s *stage) twinListed(ctx context.Context, own string) (bool, error) {
	groups, err := kadm.NewClient(s.follow).DescribeGroups(ctx, s.cfg.Group)
	if err != nil {
		return false, err
	}
	for _, m := range groups[s.cfg.Group].Members {
		if m.InstanceID != nil && *m.InstanceID == s.cfg.Instance && m.MemberID != own {
			return true, nil
		}
	}
	return false, nil
}

// fencedError wraps err as ErrFenced for the stage's caller.
func fencedError(group, instance string, err error) error {
	return fmt.Errorf("%w: group %s, instance %q: %w", ErrFenced, group, instance, err)
}

// fenceGuard closes a session the moment the group fences its membership
// (FENCED_INSTANCE_ID: another process joined with this instance id).
// franz-go answers any group error by joining again after a retry backoff
// (100 ms, reconnectOpts), and that join would take the instance back from
// the process that just took it over; the stage loop may notice the error
// only later. The close runs in its own goroutine: the hook is called from
// the group loop, which Close waits for.
type fenceGuard struct {
	fenced atomic.Bool
	close  atomic.Pointer[func()]
}

func (g *fenceGuard) bind(close func()) { g.close.Store(&close) }

// OnGroupManageError implements kgo.HookGroupManageError.
func (g *fenceGuard) OnGroupManageError(err error) {
	if !errors.Is(err, kerr.FencedInstanceID) || g.fenced.Swap(true) {
		return
	}
	if c := g.close.Load(); c != nil {
		go (*c)()
	}
}
