package notify

import (
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jitgate/jitgate/schemas"
)

func TestMessage(t *testing.T) {
	hold := testHold(t)
	approver := schemas.Principal{Subject: "bob", Issuer: "https://issuer.test"}
	tests := []struct {
		name     string
		payload  schemas.Payload
		hold     *schemas.HoldOpened
		pending  bool   // approve/deny commands expected
		by       string // expected By
		comment  string // expected Comment
		summary  []string
		withCall bool // hold details expected
	}{
		{
			name: "hold opened", payload: hold, pending: true, withCall: true,
			summary: []string{"Approval needed", "s3:PutObject by system:serviceaccount:ci:deployer in eu-west-1", "Bucket=prod-logs", "prod-writes", "Needs 2 approvals from sre, security before 2026-05-01T10:15:00Z"},
		},
		{
			name: "justified", payload: &schemas.HoldJustified{By: hold.Request.Principal, Text: "rotating\nthe logs"}, hold: hold,
			pending: true, withCall: true, by: "system:serviceaccount:ci:deployer", comment: "rotating\nthe logs",
			summary: []string{"justified s3:PutObject", `"rotating the logs"`},
		},
		{
			name: "justified, hold unknown", payload: &schemas.HoldJustified{By: hold.Request.Principal, Text: "why"},
			pending: true, by: "system:serviceaccount:ci:deployer", comment: "why",
			summary: []string{"justified request " + testRequestID},
		},
		{
			name: "approval given", payload: &schemas.ApprovalGiven{By: approver, Reason: "ticket OPS-1"}, hold: hold,
			pending: true, withCall: true, by: "bob", comment: "ticket OPS-1",
			summary: []string{"bob approved s3:PutObject", "2 approvals needed in all", "OPS-1"},
		},
		{
			name: "approved", payload: &schemas.HoldApproved{Approvers: []string{"bob", "carol"}, GrantID: "g-1"}, hold: hold,
			withCall: true, summary: []string{"Approved: s3:PutObject", "by bob, carol", "grant g-1 opened"},
		},
		{
			name: "denied", payload: &schemas.HoldDenied{By: approver, Reason: "not during the freeze"}, hold: hold,
			withCall: true, by: "bob", comment: "not during the freeze",
			summary: []string{"Denied: s3:PutObject", "by bob", "freeze"},
		},
		{
			name: "denied, hold unknown", payload: &schemas.HoldDenied{By: approver, Reason: "no"},
			by: "bob", comment: "no", summary: []string{"Denied: request " + testRequestID + " by bob"},
		},
		{
			name: "expired", payload: &schemas.HoldExpired{}, hold: hold, withCall: true,
			summary: []string{"Expired: s3:PutObject", "nobody decided in time"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			env := envelope(t, testRequestID, tc.payload)
			msg, ok, err := Message(env, tc.hold)
			if err != nil || !ok {
				t.Fatalf("Message = ok %v, err %v", ok, err)
			}
			if msg.Event != string(env.Type) || msg.ID != env.ID || msg.RequestID != testRequestID || !msg.Time.Equal(t0) {
				t.Errorf("identity = %q %q %q %v", msg.Event, msg.ID, msg.RequestID, msg.Time)
			}
			if msg.By != tc.by || msg.Comment != tc.comment {
				t.Errorf("By, Comment = %q, %q; want %q, %q", msg.By, msg.Comment, tc.by, tc.comment)
			}
			if tc.withCall {
				if msg.Agent != "system:serviceaccount:ci:deployer" || msg.Call != "s3:PutObject" || msg.Region != "eu-west-1" ||
					msg.Rule != "prod-writes" || msg.Approvals != 2 || !slices.Equal(msg.Approvers, []string{"sre", "security"}) ||
					!msg.Expires.Equal(t0.Add(15*time.Minute)) {
					t.Errorf("hold details missing: %+v", msg)
				}
			} else if msg.Call != "" || msg.Agent != "" {
				t.Errorf("hold details without a hold: %+v", msg)
			}
			wantApprove := ""
			if tc.pending {
				wantApprove = "jitgate approve " + testRequestID
			}
			if msg.ApproveCommand != wantApprove || msg.Pending() != tc.pending {
				t.Errorf("ApproveCommand = %q (pending %v), want %q", msg.ApproveCommand, msg.Pending(), wantApprove)
			}
			if tc.pending && msg.DenyCommand != "jitgate deny "+testRequestID {
				t.Errorf("DenyCommand = %q", msg.DenyCommand)
			}
			for _, s := range tc.summary {
				if !strings.Contains(msg.Summary, s) {
					t.Errorf("Summary %q lacks %q", msg.Summary, s)
				}
			}
			if strings.Contains(msg.Summary, "\n") {
				t.Errorf("Summary is not one line: %q", msg.Summary)
			}
		})
	}
}

func TestMessageIgnoresOtherEvents(t *testing.T) {
	for _, p := range []schemas.Payload{
		&testHold(t).Request,
		&schemas.GrantRevoked{},
		&schemas.ResponseReady{},
	} {
		t.Run(string(p.EventType()), func(t *testing.T) {
			_, ok, err := Message(envelope(t, testRequestID, p), nil)
			if ok || err != nil {
				t.Fatalf("Message = ok %v, err %v; want false, nil", ok, err)
			}
		})
	}
}

func TestMessageMalformedPayload(t *testing.T) {
	env := envelope(t, testRequestID, &schemas.HoldDenied{By: schemas.Principal{Subject: "bob"}})
	env.Payload = json.RawMessage(`{"by":"not an object"}`)
	_, ok, err := Message(env, nil)
	if ok || !errors.Is(err, schemas.ErrMalformed) {
		t.Fatalf("Message = ok %v, err %v; want schemas.ErrMalformed", ok, err)
	}
}

func TestMessageUnsafeRequestIDHasNoCommands(t *testing.T) {
	for _, id := range []string{"x; rm -rf ~", "$(id)", "-rf", "", "a b"} {
		t.Run(id, func(t *testing.T) {
			msg, ok, err := Message(envelope(t, id, testHold(t)), nil)
			if err != nil || !ok {
				t.Fatalf("Message: ok %v, err %v", ok, err)
			}
			if msg.ApproveCommand != "" || msg.DenyCommand != "" {
				t.Fatalf("commands for unsafe id %q: %q, %q", id, msg.ApproveCommand, msg.DenyCommand)
			}
		})
	}
}

func TestSummarizeParams(t *testing.T) {
	tests := []struct {
		name  string
		in    string
		names []string
		res   map[string]string
	}{
		{"empty", ``, nil, nil},
		{"not an object", `[1,2]`, nil, nil},
		{"values hidden", `{"SecretString":"hunter2","Name":"db-password"}`, []string{"Name", "SecretString"}, nil},
		{"resources shown", `{"TableName":"orders","Item":{"card":{"S":"4111"}}}`, []string{"Item", "TableName"}, map[string]string{"TableName": "orders"}},
		{"resource list", `{"InstanceIds":["i-1","i-2"]}`, []string{"InstanceIds"}, map[string]string{"InstanceIds": "i-1, i-2"}},
		{"long list cut", `{"InstanceIds":["i-1","i-2","i-3","i-4","i-5","i-6"]}`, []string{"InstanceIds"}, map[string]string{"InstanceIds": "i-1, i-2, i-3, i-4, i-5, …"}},
		{"resource of another type", `{"Bucket":{"S":"x"}}`, []string{"Bucket"}, nil},
		{"control characters", "{\"Bucket\":\"a\\u0007b\"}", []string{"Bucket"}, map[string]string{"Bucket": "a b"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			names, res := summarizeParams(json.RawMessage(tc.in))
			if !slices.Equal(names, tc.names) {
				t.Errorf("names = %q, want %q", names, tc.names)
			}
			if len(res) != len(tc.res) {
				t.Fatalf("resources = %q, want %q", res, tc.res)
			}
			for k, v := range tc.res {
				if res[k] != v {
					t.Errorf("resources[%s] = %q, want %q", k, res[k], v)
				}
			}
		})
	}
}

func TestSummarizeParamsBounded(t *testing.T) {
	obj := map[string]string{}
	for i := range 100 {
		obj[strings.Repeat("p", i+1)] = "v"
	}
	raw, _ := json.Marshal(obj)
	names, _ := summarizeParams(raw)
	if len(names) != maxParamNames+1 || names[maxParamNames] != "…" {
		t.Fatalf("got %d names, last %q", len(names), names[len(names)-1])
	}
	for _, n := range names {
		if len(n) > maxParamNameLen+len("…") {
			t.Fatalf("name of %d bytes", len(n))
		}
	}
}
