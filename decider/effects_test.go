package decider

import (
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/jitgate/jitgate/schemas"
)

// TestEffectsComeFromTheModel: rules judge the effects of the decider's
// own model; effects a request.received carries (anyone who can write to
// the requests topic could set them) are replaced, and the decision
// carries the model's.
func TestEffectsComeFromTheModel(t *testing.T) {
	u := newUnit(t, testPolicy)
	req := request(delBucket, t0.Add(30*time.Second))
	req.Effects = []string{"read"}
	dec := sealed(t, u.handle(t, schemas.TopicRequests, envelope(t, "forged-1", t0, req)))
	if dec.Outcome != schemas.Deny || dec.Rule != "no-deletes" {
		t.Fatalf("decision %s by %q, want deny by no-deletes", dec.Outcome, dec.Rule)
	}
	if want := []string{"delete"}; !reflect.DeepEqual(dec.Request.Effects, want) {
		t.Errorf("decision carries effects %v, want the model's %v", dec.Request.Effects, want)
	}
}

// TestDeletesByEffect: "delete" in call.effects catches deletes whatever
// the operation is called.
func TestDeletesByEffect(t *testing.T) {
	for _, c := range []call{
		{who: bot, service: "dynamodb", operation: "BatchWriteItem", params: `{"RequestItems":{}}`},
		{who: bot, service: "dynamodb", operation: "TransactWriteItems", params: `{"TransactItems":[]}`},
		{who: bot, service: "sqs", operation: "PurgeQueue", params: `{"QueueUrl":"q"}`},
		{who: bot, service: "ec2", operation: "TerminateInstances", params: `{"InstanceIds.1":"i-1"}`},
		{who: bot, service: "s3", operation: "DeleteObjects", params: `{"Bucket":"b"}`},
	} {
		t.Run(c.service+":"+c.operation, func(t *testing.T) {
			u := newUnit(t, testPolicy)
			dec := sealed(t, u.handle(t, schemas.TopicRequests, received(t, c)))
			if dec.Outcome != schemas.Deny || dec.Rule != "no-deletes" {
				t.Errorf("decision %s by %q (%s), want deny by no-deletes", dec.Outcome, dec.Rule, dec.Reason)
			}
		})
	}
}

// TestUnknownOperationDenied: a call the model does not know has no
// effects to judge; no rule sees it.
func TestUnknownOperationDenied(t *testing.T) {
	u := newUnit(t, "version: 1\nrules:\n  - name: all\n    when: 'true'\n    then: allow\n")
	dec := sealed(t, u.handle(t, schemas.TopicRequests, received(t, call{who: bot, service: "s3", operation: "FrobBucket", params: `{}`})))
	if dec.Outcome != schemas.Deny || dec.Rule != "" || !strings.Contains(dec.Reason, "not in the gateway's AWS model") {
		t.Errorf("decision %s by %q (%s), want deny naming the model", dec.Outcome, dec.Rule, dec.Reason)
	}
}

// TestGrantMatchSeesEffects: a grant's match expression judges
// call.effects from the decider's model, like `when`.
func TestGrantMatchSeesEffects(t *testing.T) {
	const pol = `version: 1
rules:
  - name: table-changes
    when: 'service == "dynamodb" && !readOnly'
    then: hold
    approvers: [sre]
    grant:
      for: 15m
      scope: expr
      match: 'service == "dynamodb" && !("delete" in call.effects)'
`
	u := newUnit(t, pol)
	holdReq := received(t, putItem)
	u.applyOuts(t, u.handle(t, schemas.TopicRequests, holdReq))
	a := envelope(t, holdReq.RequestID, t0.Add(time.Minute), approval(alice))
	u.apply(t, a)
	u.applyOuts(t, u.handle(t, schemas.TopicHolds, a))
	u.clk.Set(t0.Add(2 * time.Minute))

	other := putItem
	other.params = `{"TableName":"stock","Item":{"id":{"S":"9"}}}`
	if dec := sealed(t, u.handle(t, schemas.TopicRequests, receivedAt(t, other, u.clk.Now()))); dec.GrantID == "" {
		t.Errorf("PutItem of another table: decision %s by %q, want the grant", dec.Outcome, dec.Rule)
	}
	batch := call{who: bot, service: "dynamodb", operation: "BatchWriteItem", params: `{"RequestItems":{}}`}
	if dec := sealed(t, u.handle(t, schemas.TopicRequests, receivedAt(t, batch, u.clk.Now()))); dec.GrantID != "" || dec.Outcome != schemas.Hold {
		t.Errorf("BatchWriteItem: decision %s by %q grant %q, want the rule's hold (the grant excludes deletes)", dec.Outcome, dec.Rule, dec.GrantID)
	}
}
