package faulttest

import (
	"context"
	"encoding/json"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/jitgate/jitgate/internal/audit"
	"github.com/jitgate/jitgate/internal/awsemu"
)

// request is one request of the event log, as ClickHouse holds it.
type request struct {
	id        string
	key       string // the load's key it names ("" if none)
	operation string
	deadline  time.Time
	terminals map[string]string // response.ready event id -> outcome
	refusals  map[string]string // request.refused event id -> outcome
	started   []started
	unknown   bool   // an execution.finished with error_kind outcome_unknown
	finErr    string // the error of its execution.finished, if any
	// holds are the ids of its hold events (hold.opened, approval.given,
	// hold.approved, hold.denied, hold.expired) by type.
	holds map[string]map[string]bool
}

type started struct {
	at, deadline time.Time
	attempt      int
}

// keyPattern finds a load key in a payload, a path or a body.
var keyPattern = regexp.MustCompile(`ft[0-9a-f]+-k[0-9]{7}`)

// readLog reads every event of the run from ClickHouse (FINAL: once per
// event id, as the recorder promises) into requests by id.
func readLog(ctx context.Context, cl *audit.Client) (map[string]*request, error) {
	_, rows, err := cl.Query(ctx, `SELECT event_id, type, request_id, outcome, payload FROM jitgate.events FINAL
WHERE type IN ('request.received', 'execution.started', 'execution.finished', 'response.ready', 'request.refused',
	'hold.opened', 'approval.given', 'hold.approved', 'hold.denied', 'hold.expired')`)
	if err != nil {
		return nil, err
	}
	reqs := map[string]*request{}
	get := func(id string) *request {
		r := reqs[id]
		if r == nil {
			r = &request{id: id, terminals: map[string]string{}, refusals: map[string]string{}, holds: map[string]map[string]bool{}}
			reqs[id] = r
		}
		return r
	}
	for _, row := range rows {
		eventID, typ, reqID, outcome, payload := row[0], row[1], row[2], row[3], row[4]
		r := get(reqID)
		var env struct {
			Time    time.Time `json:"time"`
			Payload struct {
				Operation string          `json:"operation"`
				Deadline  time.Time       `json:"deadline"`
				Attempt   int             `json:"attempt"`
				ErrorKind string          `json:"error_kind"`
				Error     json.RawMessage `json:"error"`
			} `json:"payload"`
		}
		if err := json.Unmarshal([]byte(payload), &env); err != nil {
			return nil, fmt.Errorf("event %s (%s): payload: %w", eventID, typ, err)
		}
		switch typ {
		case "request.received":
			r.operation, r.deadline = env.Payload.Operation, env.Payload.Deadline
			r.key = keyPattern.FindString(payload)
		case "execution.started":
			r.started = append(r.started, started{at: env.Time, deadline: env.Payload.Deadline, attempt: env.Payload.Attempt})
		case "execution.finished":
			if env.Payload.ErrorKind == "outcome_unknown" {
				r.unknown = true
			}
			_ = json.Unmarshal(env.Payload.Error, &r.finErr) // a string here
		case "response.ready":
			r.terminals[eventID] = outcome
		case "request.refused":
			r.refusals[eventID] = outcome
		default: // the hold's events
			if r.holds[typ] == nil {
				r.holds[typ] = map[string]bool{}
			}
			r.holds[typ][eventID] = true
		}
	}
	return reqs, nil
}

// upstreamCounts counts, per load key, the calls of each operation that
// reached the emulator (signed by the gateway, so executed by jitgate).
func upstreamCounts(seen []awsemu.Seen) map[string]int {
	n := map[string]int{}
	for _, s := range seen {
		op := ""
		switch {
		case strings.HasPrefix(s.Header.Get("X-Amz-Target"), "DynamoDB_20120810."):
			op = strings.TrimPrefix(s.Header.Get("X-Amz-Target"), "DynamoDB_20120810.")
		case s.SigningName == "s3" && s.Method == "PUT":
			op = "PutObject"
		case s.SigningName == "s3" && s.Method == "DELETE":
			op = "DeleteObject"
		default:
			continue
		}
		key := keyPattern.FindString(s.Path)
		if key == "" {
			key = keyPattern.FindString(string(s.Body))
		}
		if key != "" {
			n[op+" "+key]++
		}
	}
	return n
}

// terminal is the request's one outcome, or a description of what is
// wrong with its terminals.
func (r *request) terminal() (string, bool) {
	if len(r.terminals) == 1 {
		for _, o := range r.terminals {
			return o, true
		}
	}
	ids := make([]string, 0, len(r.terminals))
	for id, o := range r.terminals {
		ids = append(ids, id+"="+o)
	}
	return strconv.Itoa(len(r.terminals)) + " terminal outcomes " + strings.Join(ids, ","), false
}
