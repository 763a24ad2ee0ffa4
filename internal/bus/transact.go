package bus

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
)

// transact delivers a batch in one Kafka transaction: its outputs, its dead
// letters and its input offsets commit together or not at all
// (StageConfig.Idempotent false, the default). Exactly once, at the cost of
// a transaction per batch: four serial round trips on Kafka 4 (Produce,
// TxnOffsetCommit, a forced heartbeat, EndTxn; six on brokers without
// KIP-890's transaction protocol 2), and read_committed readers wait for
// the commit markers (docs/architecture.md, delivery guarantees).
type transact struct {
	sess *kgo.GroupTransactSession
	// reiniting: a re-initialisation of the producer id runs
	// (reinitProducer).
	reiniting atomic.Bool
}

// newTransact joins the group with a transactional producer whose id
// derives from the group and the instance, so a restarted process fences
// its predecessor's producer and aborts what it left open.
func newTransact(cfg StageConfig, opts []kgo.Opt) (delivery, error) {
	opts = append([]kgo.Opt{
		kgo.TransactionalID(cfg.Group + "/" + cfg.Instance),
		kgo.TransactionTimeout(TransactionTimeout),
	}, opts...)
	sess, err := kgo.NewGroupTransactSession(cfg.Bus.groupOpts(cfg.Group, cfg.Topics, opts...)...)
	if err != nil {
		return nil, err
	}
	go initProducer(sess.Client())
	return &transact{sess: sess}, nil
}

// errBegin marks a transaction that could not begin. franz-go refuses a
// Begin while it believes the last transaction is still open, which is
// where a session whose producer a twin fenced mid-commit ends up: the
// loop checks for a twin before it rebuilds (heldByTwin).
var errBegin = errors.New("begin transaction")

// errRebalanced marks a batch whose transaction a rebalance aborted: not a
// failure of the batch, which the session handles again at once (from the
// committed offsets) without the retry pause.
var errRebalanced = errors.New("transaction aborted by a rebalance")

// initProducer initializes the session's producer id at once instead of at
// its first produce, trying again every second until it succeeds or the
// client closes (a broker that is down or still loading its transaction
// state answers nothing useful for a while). A transaction its predecessor left open (a process
// killed between TxnOffsetCommit and EndTxn, or a client rebuilt after an
// EndTxn the broker refused) holds the group's offsets of its partitions:
// the broker answers UNSTABLE_OFFSET_COMMIT until it ends, so the new
// session cannot start fetching, so it never produces, and nothing
// aborts that transaction but the broker's timeout (TransactionTimeout,
// plus the abort sweep on Apache Kafka). InitProducerID with the same
// transactional id fences and aborts it now; franz-go retries the offset
// fetch a second later. An error here is left to the first produce,
// which initializes the id again. Found by TestStageUnderBrokerFaults
// (EndTxn INVALID_TXN_STATE: a 10 s stall).
func initProducer(cl *kgo.Client) {
	for {
		ctx, cancel := context.WithTimeout(cl.Context(), TransactionTimeout)
		_, _, err := cl.ProducerID(ctx)
		cancel()
		if err == nil || cl.Context().Err() != nil {
			return
		}
		select {
		case <-cl.Context().Done():
			return
		case <-time.After(ReconnectMaxBackoff):
		}
	}
}

// reinitProducer re-initializes the producer id after a transaction whose
// end failed, in the background, at once. franz-go marks the id for
// reloading but reloads it only at the next produce, and a session that
// rejoined its group (a broker restart ends the group session too) cannot
// produce before it fetches, which the transaction it left open on the
// broker blocks: the group's offset fetch is answered
// UNSTABLE_OFFSET_COMMIT until that transaction ends, and nothing ends it
// but the broker's timeout. After a broker restart that took minutes on
// Kafka 4 (TestOutages in make soak: an executor's EndTxn failed with
// "connection refused" as the broker stopped; its partition stayed
// unreadable until its stall watchdog rebuilt the client). The
// initialisation fences the open transaction and aborts it (or, if the
// broker had taken the commit, lets it complete); the batch is handled
// again either way, as after any failed commit.
func (t *transact) reinitProducer() {
	if t.reiniting.Swap(true) {
		return
	}
	go func() {
		defer t.reiniting.Store(false)
		initProducer(t.sess.Client())
	}()
}

func (t *transact) client() *kgo.Client { return t.sess.Client() }

func (t *transact) poll(ctx context.Context) kgo.Fetches { return t.sess.PollFetches(ctx) }

// settle does nothing: the session aborts a transaction that a rebalance
// overtakes, so it never blocks one.
func (t *transact) settle() {}

func (t *transact) close() { t.sess.Close() }

// publish writes recs in a transaction with the offsets of everything
// polled so far. A failed batch still opens and aborts one: the abort is
// what rewinds the session to the committed offsets.
func (t *transact) publish(ctx context.Context, _ kgo.Fetches, recs []*kgo.Record, failed error) error {
	if err := t.sess.Begin(); err != nil {
		return fmt.Errorf("%w: %w", errBegin, err)
	}
	if failed == nil {
		// End would flush too, but would commit records that failed.
		failed = produce(ctx, t.sess.Client(), recs)
	}
	committed, err := t.end(ctx, kgo.TransactionEndTry(failed == nil))
	if err != nil {
		t.reinitProducer()
	}
	switch {
	case failed != nil && err != nil && fatal(err):
		return fmt.Errorf("abort: %w (after %w)", err, failed)
	case failed != nil:
		return failed
	case err != nil:
		return fmt.Errorf("commit: %w", err)
	case !committed:
		return errRebalanced
	}
	return nil
}

// commitOffsets commits the offsets of everything handled so far in a
// transaction that publishes nothing. It carries consumer offsets, so
// franz-go does not hold its lock for 500 ms afterwards.
func (t *transact) commitOffsets(ctx context.Context) error {
	if err := t.sess.Begin(); err != nil {
		return fmt.Errorf("%w: %w", errBegin, err)
	}
	committed, err := t.end(ctx, kgo.TryCommit)
	if err != nil {
		t.reinitProducer()
	}
	if err == nil && !committed {
		err = errRebalanced
	}
	return err
}

// end finishes the open transaction even when ctx is already cancelled: a
// transaction left open on shutdown would stall the next group member
// until the broker's transaction timeout.
func (t *transact) end(ctx context.Context, commit kgo.TransactionEndTry) (bool, error) {
	ctx, cancel := finishing(ctx)
	defer cancel()
	return t.sess.End(ctx, commit)
}
