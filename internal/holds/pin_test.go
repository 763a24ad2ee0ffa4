package holds

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"testing"

	"github.com/jitgate/jitgate/schemas"
)

// deleteObjects is an S3 DeleteObjects call: params as the identifier
// decodes the REST-XML body (nested maps and lists), and the body itself.
func deleteObjects(params, body string) schemas.RequestReceived {
	r := request(requester, params)
	r.Protocol, r.Operation = "rest-xml", "DeleteObjects"
	r.HTTP = schemas.HTTPRequest{Method: "POST", Path: "/logs", RawQuery: "delete", Body: []byte(body), BodySize: int64(len(body))}
	return r
}

const (
	keyA     = `<Delete><Object><Key>a</Key></Object></Delete>`
	keyB     = `<Delete><Object><Key>b</Key></Object></Delete>`
	keysAB   = `<Delete><Object><Key>a</Key></Object><Object><Key>b</Key></Object></Delete>`
	paramsA  = `{"Bucket":"logs","Delete":{"Object":[{"Key":"a"}]}}`
	paramsB  = `{"Bucket":"logs","Delete":{"Object":[{"Key":"b"}]}}`
	paramsAB = `{"Bucket":"logs","Delete":{"Object":[{"Key":"a"},{"Key":"b"}]}}`
)

// TestCallPinDeleteObjects: a call grant opened for DeleteObjects of key a
// covers exactly that call: not key b, not keys a and b, whether the
// difference shows in the decoded parameters, only in the body, or the body
// cannot be seen at all.
func TestCallPinDeleteObjects(t *testing.T) {
	held := deleteObjects(paramsA, keyA)
	cases := []struct {
		name string
		req  schemas.RequestReceived
		want bool
	}{
		{"same call", deleteObjects(paramsA, keyA), true},
		{"same params respaced", deleteObjects(` {"Delete": {"Object": [ {"Key":"a"} ]}, "Bucket":"logs"}`, keyA), true},
		{"other key", deleteObjects(paramsB, keyB), false},
		{"an extra key", deleteObjects(paramsAB, keysAB), false},
		{"an extra nested member", deleteObjects(`{"Bucket":"logs","Delete":{"Object":[{"Key":"a"}],"Quiet":true}}`, keyA), false},
		{"a nested member less", deleteObjects(`{"Bucket":"logs","Delete":{}}`, keyA), false},
		// The identifier did not decode the body (or decoded it wrongly): the
		// parameters look approved, the body is not.
		{"body not in params: other key", deleteObjects(`{"Bucket":"logs"}`, keyB), false},
		{"params of a, body of a and b", deleteObjects(paramsA, keysAB), false},
		{"same params, body re-encoded", deleteObjects(paramsA, `<Delete><Object><Key>a</Key></Object></Delete> `), false},
		{"no body", deleteObjects(paramsA, ""), false},
		{"body in chunks, never seen", func() schemas.RequestReceived {
			r := deleteObjects(paramsA, "")
			r.HTTP.BodySize, r.HTTP.BodyChunks = int64(len(keyA)), 1
			return r
		}(), false},
	}
	s := NewStore(testKey)
	openGrant(t, s, "g-a", held, &schemas.GrantTerms{For: 3600e9, Scope: "call"})
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			g, ok, err := s.MatchGrant(&tc.req, t0)
			if ok != tc.want || err != nil {
				t.Fatalf("MatchGrant = %v %q (%v), want %v", ok, g.GrantID, err, tc.want)
			}
		})
	}
}

// TestCallPinShape: the pin holds every parameter, the region and the
// body's digest; a call without a body pins no "body"; a chunked body
// opens no call grant.
func TestCallPinShape(t *testing.T) {
	h := Hold{RequestID: "r1", Request: deleteObjects(paramsA, keyA), Rule: "rule", Terms: terms(1, &schemas.GrantTerms{For: 60e9, Scope: "call"}), State: StateApproved}
	pin, err := Pin(h)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"body":{"sha256":"` + sha256Hex(keyA) + `","size":46},"params":{"Bucket":"logs","Delete":{"Object":[{"Key":"a"}]}},"region":"eu-west-1"}`
	if string(pin) != want {
		t.Fatalf("pin\n%s\nwant\n%s", pin, want)
	}
	g, err := NewGrant(h, []Approval{{By: alice, At: t0}}, "g1", t0)
	if err != nil || string(g.Params) != want {
		t.Fatalf("grant params %s (%v), want the pin shown", g.Params, err)
	}

	bodiless := h
	bodiless.Request = request(requester, `{"Bucket":"logs","Key":"k"}`)
	if pin, err := Pin(bodiless); err != nil || string(pin) != `{"params":{"Bucket":"logs","Key":"k"},"region":"eu-west-1"}` {
		t.Fatalf("bodiless pin %s %v", pin, err)
	}

	chunked := h
	chunked.Request.HTTP.Body, chunked.Request.HTTP.BodyChunks = nil, 2
	if _, err := NewGrant(chunked, []Approval{{By: alice, At: t0}}, "g2", t0); !errors.Is(err, ErrBadGrant) {
		t.Fatalf("NewGrant for a chunked body: %v, want ErrBadGrant", err)
	}
}

func sha256Hex(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}
