package faulttest

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jitgate/jitgate/internal/api"
	"github.com/jitgate/jitgate/internal/cluster/clustertest"
)

// Groups of the load's principals. Every agent is an approver too, so
// only the own-request rule keeps it from approving its own held call.
var (
	agentGroups    = []string{"sandbox", "approvers"}
	approverGroups = []string{"approvers"}
)

const approverSubject = "faulttest-approver"

// approver plays the humans of the hold rule during a run. It watches the
// pending holds through the approver API (what `jitgate pending` calls),
// signed in as a member of "approvers" from the cluster's issuer. For each
// hold, the requester first tries to approve its own call (the gateway
// must refuse); then the approver approves the holds of heldApprove calls
// with `jitgate approve` run as its own process, retrying while the hold
// is pending and the gateway cannot be reached, and leaves the holds of
// heldExpire calls to expire.
type approver struct {
	e          *clustertest.Env
	client     *api.Client
	token      string
	requesters map[string]*api.Client // by the agent's subject

	mu    sync.Mutex
	holds map[string]*holdSeen // by the held key
	wg    sync.WaitGroup
}

// holdSeen is what the approver did about one hold.
type holdSeen struct {
	id, key, agent string
	kind           kind
	busy           bool      // a try is running
	selfRefused    bool      // the requester's own approval was refused as its own request
	selfAccepted   bool      // ... or accepted: the rule was broken
	selfErr        string    // the last other answer to it
	approved       time.Time // when `jitgate approve` succeeded
	approveTries   int
	approveErr     string // the last failed try's message
}

// startApprover runs an approver for the holds of agents until the
// returned stop is called (stop waits for it to end).
func startApprover(t *testing.T, e *clustertest.Env, agents []string) (*approver, func()) {
	a := newApprover(t, e, agents)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		a.run(ctx)
	}()
	return a, func() { cancel(); <-done }
}

func newApprover(t *testing.T, e *clustertest.Env, agents []string) *approver {
	t.Helper()
	a := &approver{e: e, requesters: map[string]*api.Client{}, holds: map[string]*holdSeen{}}
	var err error
	if a.client, err = e.ApproverClient(approverSubject, approverGroups, time.Hour); err != nil {
		t.Fatal(err)
	}
	a.token = a.client.Token
	for _, sub := range agents {
		if a.requesters[sub], err = e.ApproverClient(sub, agentGroups, time.Hour); err != nil {
			t.Fatal(err)
		}
	}
	return a
}

// run polls the pending holds until ctx ends, then waits for the tries it
// started.
func (a *approver) run(ctx context.Context) {
	tick := time.NewTicker(300 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			a.wg.Wait()
			return
		case <-tick.C:
		}
		pctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		pending, err := a.client.Pending(pctx)
		cancel()
		if err != nil {
			continue // the ingress is down or restarting: try again
		}
		for _, h := range pending {
			a.consider(ctx, h)
		}
	}
}

// consider starts the next step for one pending hold, unless one runs.
func (a *approver) consider(ctx context.Context, h api.Hold) {
	key := keyPattern.FindString(h.Path + " " + string(h.Params))
	k, ok := kindOf(key)
	if !ok || !k.held() {
		return
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	s := a.holds[key]
	if s == nil {
		s = &holdSeen{id: h.ID, key: key, agent: h.Agent, kind: k}
		a.holds[key] = s
	}
	if s.busy || s.selfAccepted || (s.selfRefused && (k == heldExpire || !s.approved.IsZero())) {
		return
	}
	s.busy = true
	a.wg.Add(1)
	go func() {
		defer a.wg.Done()
		a.step(ctx, s)
	}()
}

// step tries the requester's own approval until the gateway refuses it,
// then (heldApprove) approves the hold with the CLI.
func (a *approver) step(ctx context.Context, s *holdSeen) {
	defer func() {
		a.mu.Lock()
		s.busy = false
		a.mu.Unlock()
	}()
	a.mu.Lock()
	selfDone := s.selfRefused
	a.mu.Unlock()
	if !selfDone {
		cctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		_, err := a.requesters[s.agent].Approve(cctx, s.id, api.ApproveRequest{Reason: "approving my own call"})
		cancel()
		var ae *api.Error
		a.mu.Lock()
		switch {
		case err == nil:
			s.selfAccepted = true
		case errors.As(err, &ae) && ae.Status == http.StatusForbidden && strings.Contains(ae.Message, "made request"):
			s.selfRefused = true
		default:
			s.selfErr = err.Error()
		}
		selfDone = s.selfRefused
		a.mu.Unlock()
	}
	if !selfDone || s.kind != heldApprove {
		return
	}
	cctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	_, err := a.e.Approve(cctx, a.token, s.id, "faulttest")
	cancel()
	a.mu.Lock()
	defer a.mu.Unlock()
	s.approveTries++
	if err != nil {
		s.approveErr = err.Error()
		return
	}
	s.approved = time.Now()
}

// check reports what the approver saw that breaks a rule, and what it did.
func (a *approver) check(t *testing.T) []string {
	a.mu.Lock()
	defer a.mu.Unlock()
	var problems []string
	var refused, approved, untested int
	for _, s := range a.holds {
		switch {
		case s.selfAccepted:
			problems = append(problems, fmt.Sprintf("%s %s (request %s): its requester %s approved its own hold", s.kind, s.key, s.id, s.agent))
		case s.selfRefused:
			refused++
		default:
			untested++
		}
		if !s.approved.IsZero() {
			approved++
		}
	}
	t.Logf("approver: %d holds seen pending; the requester's own approval refused for %d (%d ended before it was tried); %d approved with `jitgate approve`",
		len(a.holds), refused, untested, approved)
	if refused == 0 {
		problems = append(problems, "no requester tried to approve its own hold: the own-request rule went untested")
	}
	if approved == 0 {
		problems = append(problems, "the approver approved no hold: held-then-approved went untested")
	}
	return problems
}

// lateApprovals counts the holds `jitgate approve` approved that ended
// otherwise in the log: the ingress accepted the approval and the hold
// expired before the decider acted on it (the decider checks again, so a
// stale view delays but never widens access). Not wrong; logged.
func (a *approver) lateApprovals(reqs map[string]*request) int {
	a.mu.Lock()
	defer a.mu.Unlock()
	late := 0
	for _, r := range reqs {
		if s := a.holds[r.key]; s != nil && !s.approved.IsZero() && len(r.holds["hold.approved"]) == 0 {
			late++
		}
	}
	return late
}

// checkHeld checks one held call: its hold ended exactly once, approved or
// expired; an approved one ran at most once upstream and ends `executed`
// (or `unknown`, an executor killed in the call), or, if it never ran,
// `held` (approved after its agent's wait ran out) or `error` (its
// decision reached the executor after the deadline); an expired one never
// ran and ends `denied` (the decider answered the waiting agent that the
// hold expired) or `held` (the agent's wait ran out first); a hold nobody
// was to approve was never approved; and what the agent was told is true.
func checkHeld(c *call, r *request, n int) []string {
	var problems []string
	report := func(format string, args ...any) {
		problems = append(problems, fmt.Sprintf("%s %s (request %s): ", c.kind, c.key, reqID(r))+fmt.Sprintf(format, args...))
	}
	if n > 1 {
		report("ran %d times upstream", n)
	}
	if r == nil {
		if n > 0 {
			report("ran upstream but has no request in the log")
		}
		if c.ok() {
			report("the agent was told it succeeded, but it has no request in the log")
		}
		return problems
	}
	opened, approved, expired, denied := len(r.holds["hold.opened"]), len(r.holds["hold.approved"]), len(r.holds["hold.expired"]), len(r.holds["hold.denied"])
	if opened != 1 {
		report("%d hold.opened events, want 1", opened)
	}
	if approved+expired+denied != 1 {
		report("its hold ended %d times (approved %d, expired %d, denied %d; distinct events), want once", approved+expired+denied, approved, expired, denied)
	}
	if c.kind == heldExpire && approved > 0 {
		report("nobody was to approve it, but it was approved")
	}
	if n > 0 && approved == 0 {
		report("ran upstream without an approval")
	}
	out, one := r.terminal()
	if one {
		switch {
		case out == "executed" && n != 1:
			report("ends executed, but ran %d times upstream", n)
		case n == 1 && out != "executed" && out != "unknown":
			report("ran upstream, but ends %q (%s)", out, r.finErr)
		case n == 0 && len(r.started) > 0 && out != "unknown":
			report("started but never reached the upstream, and ends %q (%s), not unknown", out, r.finErr)
		case expired > 0 && out != "denied" && out != "held":
			report("its hold expired, but it ends %q (want denied: the agent was told the hold expired; or held: its wait ran out first)", out)
		case approved > 0 && n == 0 && out != "held" && out != "error" && out != "unknown":
			report("its hold was approved and it never ran, but it ends %q (want held: approved after its wait ran out; or error: its decision reached the executor too late)", out)
		}
	}
	// What the agent was told must be true.
	switch {
	case c.ok():
		if n != 1 || approved != 1 {
			report("the agent was told it succeeded; its hold was approved %d times, it ran %d times", approved, n)
		}
	case c.code == "AccessDenied":
		if !strings.Contains(c.message, r.id) || !(strings.Contains(c.message, "hold") || strings.Contains(c.message, "approval")) {
			report("AccessDenied does not name the hold and the request: %q", c.message)
		}
		if n > 0 {
			report("the agent got AccessDenied (%q), but the call ran", c.message)
		}
	case c.code == "OutcomeUnknown", c.status == 0:
		// Told it may have run, or no answer (its ingress was killed).
	case refusedAtTheDoor(c):
		report("refused at the door (%d %s) but the request is in the log", c.status, c.code)
	default:
		report("the agent got %d %s: %v", c.status, c.code, c.err)
	}
	return problems
}
